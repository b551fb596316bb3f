using System.Reflection;
using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Gpu;

/// <summary>
/// Every kernel is compiled once per accelerator, on first use, and its launcher kept. Keys are
/// the kernel methods (a generic kernel's every instantiation is its own key). Callers hold the
/// backend's lock, so the cache needs no lock of its own; a lookup allocates nothing.
/// </summary>
internal sealed class KernelCache(Accelerator accelerator)
{
    private readonly Dictionary<MethodInfo, Delegate> _loaded = [];

    /// <summary>
    /// The launcher of <paramref name="kernel"/>. Every kernel takes one argument struct
    /// (<typeparamref name="TArgs"/>: views and scalars, e.g. <see cref="Kernels.GemmArgs"/>), so this is
    /// the one loader; ILGPU passes the struct's views to the device as it passes a view parameter.
    /// </summary>
    public Action<KernelConfig, TArgs> Get<TArgs>(Action<TArgs> kernel) where TArgs : struct
    {
        if (_loaded.TryGetValue(kernel.Method, out var launcher)) return (Action<KernelConfig, TArgs>)launcher;
        CheckMarked(kernel.Method);
        var loaded = accelerator.LoadStreamKernel(kernel);
        _loaded.Add(kernel.Method, loaded);
        return loaded;
    }

    /// <summary>Every kernel carries <see cref="Kernels.KernelAttribute"/>, so the compile tests know it.</summary>
    private static void CheckMarked(MethodInfo method)
    {
        var definition = method.IsGenericMethod ? method.GetGenericMethodDefinition() : method;
        if (definition.GetCustomAttribute<Kernels.KernelAttribute>() is null)
            throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name} is launched as a kernel but lacks [Kernel]");
    }
}
