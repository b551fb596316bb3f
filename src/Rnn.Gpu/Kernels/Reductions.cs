using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Deterministic reductions: every sum runs in a fixed order that does not depend on timing, so
/// repeated runs give identical bits. Group sums go through shared memory with one barrier and
/// a serial sum by the first thread (no warp shuffles, which ILGPU only emits for CUDA and
/// Intel OpenCL). CPU twins: <c>SumRows</c> in <c>CpuBackend.Dense.cs</c>,
/// <c>Optimizers.SumOfSquares</c>.
/// </summary>
internal static class Reductions
{
    /// <summary>sum[c] = beta * sum[c] + sum over rows of x[r, c]; one thread per column, rows in order (as the CPU sums).</summary>
    [Kernel]
    public static void SumRows(SumRowsArgs a)
    {
        ArrayView<float> x = a.X, sum = a.Sum;
        int rows = a.Rows, cols = a.Cols;
        var beta = a.Beta;
        for (var c = Grid.GlobalIndex.X; c < cols; c += Grid.DimX * Group.DimX)
        {
            var s = beta == 0f ? 0f : beta * sum[c];
            for (var r = 0; r < rows; r++) s += x[r * cols + c];
            sum[c] = s;
        }
    }

    /// <summary>Rows per chunk of <see cref="SumRowChunks"/>.</summary>
    public const int RowsPerChunk = 64;

    /// <summary>
    /// The first pass of a long column sum: grid (ceil(cols / 64), ceil(rows / 64)), partials[chunk, c]
    /// = sum of x[r, c] over the chunk's 64 rows in order. One thread per column alone keeps only
    /// cols threads busy through all rows (a bias gradient of 2048 columns over 3200 rows took
    /// 376 µs on an H100, 2.5% of its bandwidth); chunks give every column ceil(rows / 64)
    /// threads, and <see cref="SumRows"/> then adds the chunks in order, so the order stays fixed.
    /// </summary>
    [Kernel]
    public static void SumRowChunks(SumRowsArgs a)
    {
        ArrayView<float> x = a.X, partials = a.Sum;
        int rows = a.Rows, cols = a.Cols;
        var c = Grid.IdxX * Group.DimX + Group.IdxX;
        if (c >= cols) return;
        var first = Grid.IdxY * RowsPerChunk;
        var end = first + RowsPerChunk < rows ? first + RowsPerChunk : rows;
        var s = 0f;
        for (var r = first; r < end; r++) s += x[r * cols + c];
        partials[Grid.IdxY * cols + c] = s;
    }

    /// <summary>
    /// partials[offset + group] = sum of x[i]^2 in float64 over the group's grid-stride share; the
    /// host adds the partials in order.
    /// </summary>
    [Kernel]
    public static void SumOfSquaresPartials(SumOfSquaresArgs a)
    {
        var x = a.X;
        var partials = a.Partials;
        int offset = a.Offset, n = a.N;
        var shared = SharedMemory.Allocate<double>(LaunchShapes.GroupSize);
        var s = 0.0;
        for (var i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            double v = x[i];
            s += v * v;
        }
        shared[Group.IdxX] = s;
        Group.Barrier();
        if (Group.IdxX == 0)
        {
            var total = 0.0;
            for (var t = 0; t < Group.DimX; t++) total += shared[t];
            partials[offset + Grid.IdxX] = total;
        }
    }

    /// <summary>Sum of a group's per-thread values in thread order, returned to every thread (two barriers).</summary>
    public static float GroupSum(ArrayView<float> shared, float value)
    {
        shared[Group.IdxX] = value;
        Group.Barrier();
        if (Group.IdxX == 0)
        {
            var total = 0f;
            for (var t = 0; t < Group.DimX; t++) total += shared[t];
            shared[Group.DimX] = total;
        }
        Group.Barrier();
        var result = shared[Group.DimX];
        Group.Barrier();
        return result;
    }

    /// <summary>Maximum of a group's per-thread values, returned to every thread.</summary>
    public static float GroupMax(ArrayView<float> shared, float value)
    {
        shared[Group.IdxX] = value;
        Group.Barrier();
        if (Group.IdxX == 0)
        {
            var best = shared[0];
            for (var t = 1; t < Group.DimX; t++) best = shared[t] > best ? shared[t] : best;
            shared[Group.DimX] = best;
        }
        Group.Barrier();
        var result = shared[Group.DimX];
        Group.Barrier();
        return result;
    }
}

/// <summary>Column sums of x [Rows, Cols] into Sum [Cols] (SumRows, scaled by Beta first) or [chunks, Cols] (SumRowChunks).</summary>
internal struct SumRowsArgs
{
    public ArrayView<float> X, Sum;
    public int Rows, Cols;
    public float Beta;
}

/// <summary>Σ x² of x [N] in float64, into Partials from Offset, one per group.</summary>
internal struct SumOfSquaresArgs
{
    public ArrayView<float> X;
    public ArrayView<double> Partials;
    public int Offset, N;
}
