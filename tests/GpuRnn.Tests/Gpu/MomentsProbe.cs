using GpuRnn.Gpu;
using GpuRnn.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Tests.Gpu;

/// <summary>
/// Runs the step kernels' own <see cref="CellRowNorm.Moments"/> (the tile-order combination of a row's
/// GEMM partials) on the device, one thread per row, so a test can hold it to float64. Test-only, launched
/// through the backend's one launcher.
/// </summary>
internal static class MomentsProbe
{
    /// <summary>Partials [Rows, Tiles, 3] in; each row's mean and 1/sqrt(var + eps) out, [Rows] each.</summary>
    internal struct Args
    {
        public ArrayView<float> Partials, Mean, Rstd;
        public int Rows, Tiles;
    }

    [Kernel]
    public static void Evaluate(Args a)
    {
        for (var row = Grid.GlobalIndex.X; row < a.Rows; row += Grid.DimX * Group.DimX)
        {
            var m = CellRowNorm.Moments(a.Partials.SubView((long)row * 3 * a.Tiles, 3 * a.Tiles), a.Tiles);
            a.Mean[row] = m.Mean;
            a.Rstd[row] = m.Rstd;
        }
    }

    /// <summary>The device's mean and 1/sqrt(var + eps) of each row from its partials (a [rows, tiles * 3] tensor).</summary>
    public static (float[] Mean, float[] Rstd) Run(GpuBackend gpu, Tensor partials, int rows, int tiles)
    {
        using var mean = gpu.Allocate(new Shape(rows), DType.Float32);
        using var rstd = gpu.Allocate(new Shape(rows), DType.Float32);
        var groups = (rows + LaunchShapes.GroupSize - 1) / LaunchShapes.GroupSize;
        gpu.Launch(Evaluate, new KernelConfig(groups, LaunchShapes.GroupSize), new Args
        {
            Partials = gpu.F(partials, "partials"), Mean = gpu.F(mean, "mean"), Rstd = gpu.F(rstd, "rstd"), Rows = rows, Tiles = tiles,
        });
        var m = new float[rows];
        var r = new float[rows];
        gpu.Download<float>(mean, m);
        gpu.Download<float>(rstd, r);
        return (m, r);
    }
}
