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


    /// <summary>The launcher of a kernel with 1 parameter.</summary>
    public Action<KernelConfig, T1> Get<T1>(Action<T1> kernel) where T1 : struct
    {
        if (_loaded.TryGetValue(kernel.Method, out var launcher)) return (Action<KernelConfig, T1>)launcher;
        CheckMarked(kernel.Method);
        var loaded = accelerator.LoadStreamKernel(kernel);
        _loaded.Add(kernel.Method, loaded);
        return loaded;
    }

    /// <summary>The launcher of a kernel with 2 parameters.</summary>
    public Action<KernelConfig, T1, T2> Get<T1, T2>(Action<T1, T2> kernel) where T1 : struct where T2 : struct
    {
        if (_loaded.TryGetValue(kernel.Method, out var launcher)) return (Action<KernelConfig, T1, T2>)launcher;
        CheckMarked(kernel.Method);
        var loaded = accelerator.LoadStreamKernel(kernel);
        _loaded.Add(kernel.Method, loaded);
        return loaded;
    }

    /// <summary>The launcher of a kernel with 3 parameters.</summary>
    public Action<KernelConfig, T1, T2, T3> Get<T1, T2, T3>(Action<T1, T2, T3> kernel) where T1 : struct where T2 : struct where T3 : struct
    {
        if (_loaded.TryGetValue(kernel.Method, out var launcher)) return (Action<KernelConfig, T1, T2, T3>)launcher;
        CheckMarked(kernel.Method);
        var loaded = accelerator.LoadStreamKernel(kernel);
        _loaded.Add(kernel.Method, loaded);
        return loaded;
    }

    /// <summary>The launcher of a kernel with 4 parameters.</summary>
    public Action<KernelConfig, T1, T2, T3, T4> Get<T1, T2, T3, T4>(Action<T1, T2, T3, T4> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct
    {
        if (_loaded.TryGetValue(kernel.Method, out var launcher)) return (Action<KernelConfig, T1, T2, T3, T4>)launcher;
        CheckMarked(kernel.Method);
        var loaded = accelerator.LoadStreamKernel(kernel);
        _loaded.Add(kernel.Method, loaded);
        return loaded;
    }

    /// <summary>The launcher of a kernel with 5 parameters.</summary>
    public Action<KernelConfig, T1, T2, T3, T4, T5> Get<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct
    {
        if (_loaded.TryGetValue(kernel.Method, out var launcher)) return (Action<KernelConfig, T1, T2, T3, T4, T5>)launcher;
        CheckMarked(kernel.Method);
        var loaded = accelerator.LoadStreamKernel(kernel);
        _loaded.Add(kernel.Method, loaded);
        return loaded;
    }

    /// <summary>The launcher of a kernel with 6 parameters.</summary>
    public Action<KernelConfig, T1, T2, T3, T4, T5, T6> Get<T1, T2, T3, T4, T5, T6>(Action<T1, T2, T3, T4, T5, T6> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct
    {
        if (_loaded.TryGetValue(kernel.Method, out var launcher)) return (Action<KernelConfig, T1, T2, T3, T4, T5, T6>)launcher;
        CheckMarked(kernel.Method);
        var loaded = accelerator.LoadStreamKernel(kernel);
        _loaded.Add(kernel.Method, loaded);
        return loaded;
    }

    /// <summary>The launcher of a kernel with 7 parameters.</summary>
    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7> Get<T1, T2, T3, T4, T5, T6, T7>(Action<T1, T2, T3, T4, T5, T6, T7> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct
    {
        if (_loaded.TryGetValue(kernel.Method, out var launcher)) return (Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7>)launcher;
        CheckMarked(kernel.Method);
        var loaded = accelerator.LoadStreamKernel(kernel);
        _loaded.Add(kernel.Method, loaded);
        return loaded;
    }

    /// <summary>The launcher of a kernel with 8 parameters.</summary>
    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8> Get<T1, T2, T3, T4, T5, T6, T7, T8>(Action<T1, T2, T3, T4, T5, T6, T7, T8> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct
    {
        if (_loaded.TryGetValue(kernel.Method, out var launcher)) return (Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8>)launcher;
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
