using ILGPU;
using ILGPU.Algorithms;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// The epilogue of <see cref="Gemm.Tiled"/> with HasPartials: for every output row of the group's
/// 64 x 32 tile, the count, mean and M2 (sum of squared deviations from that mean) of the row's
/// values in the tile, written to Partials [M, ceil(N / 32), 3] at (row, column tile). Mean and M2,
/// not sum and sum of squares: at layer norm's inputs a row can have a mean far above its spread,
/// where E[x²] − mean² in float32 cancels to noise. A row kernel combines a row's partials in tile
/// order (<see cref="CellRowNorm.Moments"/>). Two passes over the registers, through shared memory,
/// each summed in a fixed order (thread tx 0..7, columns tx + 8j), so the same bits every run.
/// </summary>
internal static class GemmPartials
{
    /// <summary>Threads that share one row of the tile (tx 0..7), each holding 4 of its columns.</summary>
    private const int ThreadsPerRow = 8;

    /// <summary>
    /// r0..r7 are the values the thread stored (0 outside C): rows ty + 8i, columns n0 + tx + 8j.
    /// <paramref name="sums"/> needs 64 x 8 floats, <paramref name="means"/> 64; both are the
    /// operand tiles, free once the product's last barrier has passed.
    /// </summary>
    public static void Write(GemmArgs p, ArrayView<float> sums, ArrayView<float> means, int m0, int n0, int tx, int ty,
        Float4 r0, Float4 r1, Float4 r2, Float4 r3, Float4 r4, Float4 r5, Float4 r6, Float4 r7)
    {
        var count = XMath.Min(Gemm.TileN, p.N - n0);
        var tid = Group.IdxX;
        Put(sums, ty, 0, tx, Sum(r0));
        Put(sums, ty, 1, tx, Sum(r1));
        Put(sums, ty, 2, tx, Sum(r2));
        Put(sums, ty, 3, tx, Sum(r3));
        Put(sums, ty, 4, tx, Sum(r4));
        Put(sums, ty, 5, tx, Sum(r5));
        Put(sums, ty, 6, tx, Sum(r6));
        Put(sums, ty, 7, tx, Sum(r7));
        Group.Barrier();
        // Thread tid owns tile row tid (64 threads, 64 rows).
        means[tid] = RowTotal(sums, tid) / count;
        Group.Barrier();
        var n = n0 + tx;
        Put(sums, ty, 0, tx, Deviations(p, r0, means[ty], n));
        Put(sums, ty, 1, tx, Deviations(p, r1, means[ty + 8], n));
        Put(sums, ty, 2, tx, Deviations(p, r2, means[ty + 16], n));
        Put(sums, ty, 3, tx, Deviations(p, r3, means[ty + 24], n));
        Put(sums, ty, 4, tx, Deviations(p, r4, means[ty + 32], n));
        Put(sums, ty, 5, tx, Deviations(p, r5, means[ty + 40], n));
        Put(sums, ty, 6, tx, Deviations(p, r6, means[ty + 48], n));
        Put(sums, ty, 7, tx, Deviations(p, r7, means[ty + 56], n));
        Group.Barrier();
        var m = m0 + tid;
        if (m >= p.M) return;
        var tiles = (p.N + Gemm.TileN - 1) / Gemm.TileN;
        var at = ((long)m * tiles + Grid.IdxY) * 3;
        p.Partials[at] = count;
        p.Partials[at + 1] = means[tid];
        p.Partials[at + 2] = RowTotal(sums, tid);
    }

    /// <summary>Threads tx 0..7 of row ty + 8i in one shared row.</summary>
    private static void Put(ArrayView<float> sums, int ty, int i, int tx, float value) =>
        sums[(ty + 8 * i) * ThreadsPerRow + tx] = value;

    private static float RowTotal(ArrayView<float> sums, int row)
    {
        var s = 0f;
        for (var x = 0; x < ThreadsPerRow; x++) s += sums[row * ThreadsPerRow + x];
        return s;
    }

    // Columns outside C hold 0 and add nothing to the sum; they must not add a deviation.
    private static float Sum(Float4 r) => r.X + r.Y + r.Z + r.W;

    private static float Deviations(GemmArgs p, Float4 r, float mean, int n) =>
        Squared(p, r.X, mean, n) + Squared(p, r.Y, mean, n + 8) + Squared(p, r.Z, mean, n + 16) + Squared(p, r.W, mean, n + 24);

    private static float Squared(GemmArgs p, float value, float mean, int n)
    {
        if (n >= p.N) return 0f;
        var d = value - mean;
        return d * d;
    }
}
