using Xunit;

namespace GpuRnn.Tests.Gpu;

/// <summary>
/// The tiled GEMM's partial-statistics epilogue (Kernels/GemmPartials.cs), which layer norm's step kernels
/// combine instead of reducing over the row: each (row, column tile)'s count, mean and M2 against float64
/// over the same stored values, and the tiles combined against the whole row's float64 mean and variance.
/// Rows have a mean near 1e3 and a spread near 0.1, where float32 sums of squares cancel to noise;
/// a second run must give the same bits.
/// </summary>
public class GpuGemmPartialsTests
{
    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void PartialsMatchFloat64StatisticsOfTheStoredRowsAtOddSizes(string backend)
    {
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        var rng = TestRandom.Create();
        // Rows and columns off the 64 x 32 tile, one row tile or several, one column tile or several.
        foreach (var (m, n, k, transB) in new[] { (37 + rng.Next(20), 70 + 2 * rng.Next(15) + 1, 19, true), (3, 33, 17, false), (65 + rng.Next(10), 31, 23, true) })
        {
            var tiles = (n + 31) / 32;
            var a = Operand(rng, m, k, u => 1 + 0.01 * u, 1);
            // B's depth 0 is 1e3 for every column, so row i's mean is about 1e3 (1 + 0.01 u_i); the rest spreads it by about 0.1.
            var b = transB ? Operand(rng, n, k, _ => 1000, 0.1) : Transposed(Operand(rng, n, k, _ => 1000, 0.1), n, k);
            using var at = HostTensor.FromArray(a, new Shape(m, k)).ToDevice(gpu);
            using var bt = HostTensor.FromArray(b, transB ? new Shape(n, k) : new Shape(k, n)).ToDevice(gpu);
            using var plain = gpu.Allocate(new Shape(m, n), DType.Float32);
            using var c = gpu.Allocate(new Shape(m, n), DType.Float32);
            using var partials = gpu.Allocate(new Shape(m, tiles * 3), DType.Float32);
            var ldb = transB ? k : n;
            gpu.GemmViews(gpu.F(at, "a"), false, k, gpu.F(bt, "b"), transB, ldb, gpu.F(plain, "plain"), n, m, n, k, 1f, 0f);
            gpu.GemmViews(gpu.F(at, "a"), false, k, gpu.F(bt, "b"), transB, ldb, gpu.F(c, "c"), n, m, n, k, 1f, 0f,
                partials: gpu.F(partials, "partials"));
            var values = c.ToHost().AsFloat32();
            // The epilogue adds statistics and leaves the product as the plain GEMM's, bit for bit.
            Assert.Equal(plain.ToHost().AsFloat32(), values);
            var stats = partials.ToHost().AsFloat32();
            // Fixed summation orders: a second run gives the same bits.
            using var again = gpu.Allocate(new Shape(m, tiles * 3), DType.Float32);
            gpu.GemmViews(gpu.F(at, "a"), false, k, gpu.F(bt, "b"), transB, ldb, gpu.F(c, "c"), n, m, n, k, 1f, 0f,
                partials: gpu.F(again, "again"));
            Assert.Equal(stats, again.ToHost().AsFloat32());
            var what = $"{m}x{n}x{k} transB={transB}";
            for (var row = 0; row < m; row++)
            {
                double count = 0, mean = 0, m2 = 0;
                for (var tile = 0; tile < tiles; tile++)
                {
                    int first = tile * 32, width = Math.Min(32, n - first);
                    var slice = values.AsSpan(row * n + first, width).ToArray().Select(v => (double)v).ToArray();
                    var (tileMean, tileM2) = MeanAndM2(slice);
                    int at3 = (row * tiles + tile) * 3;
                    Assert.True(stats[at3] == width, $"{what} row {row} tile {tile}: count {stats[at3]}, expected {width}");
                    AssertNear(stats[at3 + 1], tileMean, 4e-6 * Math.Abs(tileMean), $"{what} row {row} tile {tile} mean");
                    AssertNear(stats[at3 + 2], tileM2, 1e-3 * tileM2, $"{what} row {row} tile {tile} M2");
                    // Chan et al.'s pairwise combination, in float64, of the GPU's tiles.
                    double nb = stats[at3], delta = stats[at3 + 1] - mean, total = count + nb;
                    mean += delta * nb / total;
                    m2 += stats[at3 + 2] + delta * delta * count * nb / total;
                    count = total;
                }
                var (rowMean, rowM2) = MeanAndM2(values.AsSpan(row * n, n).ToArray().Select(v => (double)v).ToArray());
                Assert.True(rowM2 / n > 2e-3, $"{what} row {row}: variance {rowM2 / n} is below the spread the case is drawn to have");
                AssertNear(mean, rowMean, 4e-6 * Math.Abs(rowMean), $"{what} row {row} mean");
                // The float32 tile means carry ≈ 1e-4 of rounding at 1e3, which reaches the between-tile term.
                AssertNear(m2 / count, rowM2 / n, 2e-3 * rowM2 / n, $"{what} row {row} variance");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void TheStepKernelsCombinationGivesEachRowsMeanAndInverseStdInFloat32(string backend)
    {
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        var rng = TestRandom.Create();
        // As a layer's products: [rows, G*H] with G*H off the tile (many tiles, a ragged last one), B x^T as W_ih x.
        int m = 5 + rng.Next(60), n = 4 * (37 + rng.Next(40)) + 2, k = 17 + rng.Next(10), tiles = (n + 31) / 32;
        var a = Operand(rng, m, k, u => 1 + 0.01 * u, 1);
        var b = Operand(rng, n, k, _ => 1000, 0.1);
        using var at = HostTensor.FromArray(a, new Shape(m, k)).ToDevice(gpu);
        using var bt = HostTensor.FromArray(b, new Shape(n, k)).ToDevice(gpu);
        using var c = gpu.Allocate(new Shape(m, n), DType.Float32);
        using var partials = gpu.Allocate(new Shape(m, tiles * 3), DType.Float32);
        gpu.GemmViews(gpu.F(at, "a"), false, k, gpu.F(bt, "b"), true, k, gpu.F(c, "c"), n, m, n, k, 1f, 0f,
            partials: gpu.F(partials, "partials"));
        var (mean, rstd) = MomentsProbe.Run(gpu, partials, m, tiles);
        var values = c.ToHost().AsFloat32();
        for (var row = 0; row < m; row++)
        {
            var (rowMean, rowM2) = MeanAndM2(values.AsSpan(row * n, n).ToArray().Select(v => (double)v).ToArray());
            var expected = 1 / Math.Sqrt(rowM2 / n + 1e-5);
            AssertNear(mean[row], rowMean, 4e-6 * Math.Abs(rowMean), $"{m}x{n}x{k} row {row} mean");
            AssertNear(rstd[row], expected, 1e-3 * expected, $"{m}x{n}x{k} row {row} 1/std"); // half the variance's error
        }
    }

    /// <summary>
    /// [rows, depth] with depth 0 = first(u) for a fresh u in ±1 per row, and elsewhere ±scale times a fresh
    /// magnitude in [0.5, 1): never near zero, so every row's spread stays near 0.1 and well above float32's
    /// spacing at 1e3 (6e-5), which the float64 reference would otherwise resolve better than any float32 kernel.
    /// </summary>
    private static float[] Operand(Random rng, int rows, int depth, Func<double, double> first, double scale)
    {
        var u = TestRandom.Uniform(rng, (long)rows * depth, scale);
        var offsets = TestRandom.Uniform(rng, rows);
        var data = new float[rows * depth];
        for (var r = 0; r < rows; r++)
            for (var d = 0; d < depth; d++)
                data[r * depth + d] = (float)(d == 0 ? first(offsets[r]) : Math.CopySign(scale * 0.5 + Math.Abs(u[r * depth + d]) * 0.5, u[r * depth + d]));
        return data;
    }

    private static float[] Transposed(float[] x, int rows, int cols)
    {
        var t = new float[x.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
                t[c * rows + r] = x[r * cols + c];
        return t;
    }

    private static (double Mean, double M2) MeanAndM2(double[] x)
    {
        var mean = x.Average();
        return (mean, x.Sum(v => (v - mean) * (v - mean)));
    }

    private static void AssertNear(double actual, double expected, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance, $"{what}: {actual}, expected {expected} (within {tolerance:G3})");
}
