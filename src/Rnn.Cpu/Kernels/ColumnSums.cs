using System.Numerics;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// sums[j] += Σ_r m[r, j] over a row-major [rows, width] block: the bias gradients. Threads take
/// ranges of columns and every column adds its rows in order, so the bits do not depend on the split.
/// </summary>
internal static class ColumnSums
{
    // Below this many elements a second thread costs more than it saves.
    private const long ParallelThreshold = 1 << 18;

    public static void Add<T>(ReadOnlySpan<T> m, int rows, int width, Span<T> sums, int ld = -1) where T : unmanaged, INumber<T>
    {
        if (ld < 0) ld = width;
        var workers = (long)rows * width < ParallelThreshold ? 1 : Math.Min(CpuThreads.Count, Math.Max(1, width / 64));
        if (workers <= 1)
        {
            Columns(m, rows, ld, sums, 0, width);
            return;
        }
        unsafe
        {
            fixed (T* pm = m, ps = sums)
            {
                var (mPtr, mLength, sPtr, sLength) = ((nint)pm, m.Length, (nint)ps, sums.Length);
                Parallel.For(0, workers, w =>
                {
                    // Column ranges on 16-element boundaries, so vectors never straddle two workers.
                    int j0 = width * w / workers / 16 * 16, j1 = w == workers - 1 ? width : width * (w + 1) / workers / 16 * 16;
                    Columns(new ReadOnlySpan<T>((void*)mPtr, mLength), rows, ld, new Span<T>((void*)sPtr, sLength), j0, j1);
                });
            }
        }
    }

    private static void Columns<T>(ReadOnlySpan<T> m, int rows, int ld, Span<T> sums, int j0, int j1) where T : unmanaged, INumber<T>
    {
        if (j1 <= j0) return;
        var target = sums[j0..j1];
        for (var r = 0; r < rows; r++) Vectorized.Add(m.Slice(r * ld + j0, j1 - j0), target);
    }
}
