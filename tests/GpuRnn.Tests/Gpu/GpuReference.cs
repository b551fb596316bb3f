using Xunit;

using GpuRnn.Cpu;

namespace GpuRnn.Tests.Gpu;

/// <summary>
/// The CPU backend as the reference for the accelerated backends: the same host data goes to
/// both, the same operation runs on both, and the results are compared with the shared tolerances.
/// </summary>
internal static class GpuReference
{
    /// <summary>The reference backend (float32, like the accelerated ones).</summary>
    public static readonly CpuBackend Cpu = new();

    /// <summary>Uploads one host tensor to the CPU reference and to <paramref name="gpu"/>.</summary>
    public static (Tensor Cpu, Tensor Gpu) Pair(HostTensor host, IBackend gpu) => (host.ToDevice(Cpu), host.ToDevice(gpu));

    /// <summary>A fresh random float32 tensor on both backends.</summary>
    public static (Tensor Cpu, Tensor Gpu) Random(Random rng, IBackend gpu, Shape shape, double scale = 1) =>
        Pair(TestRandom.Tensor(rng, shape, DType.Float32, scale), gpu);

    /// <summary>Asserts the accelerated result is within <paramref name="tolerance"/> of the CPU's.</summary>
    public static void AssertMatches(Tensor gpu, Tensor cpu, double tolerance, string what) =>
        Tolerance.AssertClose(gpu.ToFloat64Array(), cpu.ToFloat64Array(), tolerance, what);

    /// <summary>The backend as the ILGPU backend (every accelerated name is one).</summary>
    public static GpuRnn.Gpu.GpuBackend AsGpu(IBackend backend) => Assert.IsType<GpuRnn.Gpu.GpuBackend>(backend);
}
