using GpuRnn.Gpu;
using GpuRnn.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Tests.Gpu;

/// <summary>
/// Runs the kernels' own <see cref="GpuMath.Tanh"/> and <see cref="GpuMath.Sigmoid"/> on the
/// device, so the tests can hold them to float64 on every accelerator. A test-only kernel: it
/// lives here, not in the shipped assembly, and is launched through the backend's one launcher.
/// </summary>
internal static class ActivationProbe
{
    /// <summary>Input x and the two outputs, [N] each.</summary>
    internal struct Args
    {
        public ArrayView<float> X, Tanh, Sigmoid;
        public int N;
    }

    /// <summary>tanh[i] = Tanh(x[i]); sigmoid[i] = Sigmoid(x[i]); grid-stride over N.</summary>
    [Kernel]
    public static void Evaluate(Args a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.N; i += Grid.DimX * Group.DimX)
        {
            a.Tanh[i] = GpuMath.Tanh(a.X[i]);
            a.Sigmoid[i] = GpuMath.Sigmoid(a.X[i]);
        }
    }

    /// <summary>The device's tanh and sigmoid of every element of <paramref name="x"/>.</summary>
    public static (float[] Tanh, float[] Sigmoid) Run(GpuBackend gpu, float[] x)
    {
        using var input = gpu.Allocate(new Shape(x.Length), DType.Float32);
        using var tanh = gpu.Allocate(new Shape(x.Length), DType.Float32);
        using var sigmoid = gpu.Allocate(new Shape(x.Length), DType.Float32);
        gpu.Upload<float>(x, input);
        var groups = (x.Length + LaunchShapes.GroupSize - 1) / LaunchShapes.GroupSize;
        gpu.Launch(Evaluate, new KernelConfig(groups, LaunchShapes.GroupSize), new Args
        {
            X = ((GpuTensor)input).Floats, Tanh = ((GpuTensor)tanh).Floats, Sigmoid = ((GpuTensor)sigmoid).Floats, N = x.Length,
        });
        var t = new float[x.Length];
        var s = new float[x.Length];
        gpu.Download<float>(tanh, t);
        gpu.Download<float>(sigmoid, s);
        return (t, s);
    }
}
