using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// General matrix product on the CPU, the twin of the GPU's tiled GEMM. Each element of C is
/// produced by one thread in a fixed order, so results do not depend on the number of threads.
/// </summary>
internal static class Gemm
{
    // Below this many multiply-adds a parallel split costs more than it saves.
    private const long ParallelThreshold = 1 << 18;

    /// <summary>
    /// C[M, N] = alpha * op(A) * op(B) + beta * C, with op(A) [M, K] and op(B) [K, N]. Row-major;
    /// A is [M, K] or [K, M] (transposed), B is [K, N] or [N, K] (transposed). beta 0 overwrites C.
    /// </summary>
    public static void Run<T>(ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c,
        int m, int n, int k, T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T>
        => Run(a, transA ? m : k, transA, b, transB ? k : n, transB, c, n, m, n, k, alpha, beta);

    /// <summary>
    /// The same with leading dimensions (row strides) lda, ldb, ldc, as in BLAS, so that a block of
    /// columns of a wider matrix (one gate's rows of a gate buffer) can be an operand without a copy.
    /// </summary>
    public static void Run<T>(ReadOnlySpan<T> a, int lda, bool transA, ReadOnlySpan<T> b, int ldb, bool transB, Span<T> c, int ldc,
        int m, int n, int k, T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0) return;
        if (typeof(T) == typeof(float) && UsePacked(m, n, k))
        {
            var packed = PackedMatrix.PackScratch(MemoryMarshal.Cast<T, float>(b), ldb, transB, k, n);
            PackedGemm.Run(MemoryMarshal.Cast<T, float>(a), lda, transA, packed, MemoryMarshal.Cast<T, float>(c), ldc, m,
                Unsafe.As<T, float>(ref alpha), Unsafe.As<T, float>(ref beta));
            return;
        }
        RunUnpacked(a, lda, transA, b, ldb, transB, c, ldc, m, n, k, alpha, beta);
    }

    /// <summary>The straightforward path: any dtype, row-parallel for large products.</summary>
    public static void RunUnpacked<T>(ReadOnlySpan<T> a, int lda, bool transA, ReadOnlySpan<T> b, int ldb, bool transB, Span<T> c, int ldc,
        int m, int n, int k, T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0) return;
        for (var i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else if (beta != T.One) Vectorized.Scale(row, beta);
        }
        if (k == 0 || alpha == T.Zero) return;

        if ((long)m * n * k < ParallelThreshold || m == 1 || CpuThreads.Count == 1)
        {
            Rows(a, lda, transA, b, ldb, transB, c, ldc, 0, m, n, k, alpha);
            return;
        }
        // Static split of rows: deterministic, each row's arithmetic identical to the serial path.
        unsafe
        {
            fixed (T* pa = a, pb = b, pc = c)
            {
                var (aPtr, aLen, bPtr, bLen, cPtr, cLen) = ((nint)pa, a.Length, (nint)pb, b.Length, (nint)pc, c.Length);
                var workers = Math.Min(CpuThreads.Count, m);
                Parallel.For(0, workers, w =>
                {
                    int r0 = (int)((long)m * w / workers), r1 = (int)((long)m * (w + 1) / workers);
                    var sa = new ReadOnlySpan<T>((void*)aPtr, aLen);
                    var sb = new ReadOnlySpan<T>((void*)bPtr, bLen);
                    var sc = new Span<T>((void*)cPtr, cLen);
                    Rows(sa, lda, transA, sb, ldb, transB, sc, ldc, r0, r1, n, k, alpha);
                });
            }
        }
    }

    /// <summary>Whether a float32 product of this size is worth packing (packing costs about K*(M+N) copies).</summary>
    public static bool UsePacked(int m, int n, int k) => PackedGemm.IsSupported && m >= 4 && (long)m * n * k >= 1L << 15;

    private static void Rows<T>(ReadOnlySpan<T> a, int lda, bool transA, ReadOnlySpan<T> b, int ldb, bool transB, Span<T> c, int ldc,
        int r0, int r1, int n, int k, T alpha) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var i = r0; i < r1; i++)
        {
            var cRow = c.Slice(i * ldc, n);
            if (!transB)
            {
                // C[i, :] += alpha * A(i, p) * B[p, :]
                for (var p = 0; p < k; p++)
                {
                    var aip = transA ? a[p * lda + i] : a[i * lda + p];
                    if (aip != T.Zero) Vectorized.Axpy(alpha * aip, b.Slice(p * ldb, n), cRow);
                }
            }
            else if (!transA)
            {
                // C[i, j] += alpha * dot(A[i, :], B[j, :])
                var aRow = a.Slice(i * lda, k);
                for (var j = 0; j < n; j++) cRow[j] += alpha * Vectorized.Dot(aRow, b.Slice(j * ldb, k));
            }
            else
            {
                for (var j = 0; j < n; j++)
                {
                    var sum = T.Zero;
                    for (var p = 0; p < k; p++) sum += a[p * lda + i] * b[j * ldb + p];
                    cRow[j] += alpha * sum;
                }
            }
        }
    }
}

/// <summary>Small vectorised loops over spans with a scalar tail.</summary>
internal static class Vectorized
{
    /// <summary>y += a * x.</summary>
    public static void Axpy<T>(T a, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var va = new Vector<T>(a);
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var yv = MemoryMarshal.Cast<T, Vector<T>>(y[..x.Length]);
            for (var j = 0; j < xv.Length; j++) yv[j] += va * xv[j];
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < x.Length; i++) y[i] += a * x[i];
    }

    /// <summary>y += a * b, elementwise.</summary>
    public static void MultiplyAdd<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<T>.Count)
        {
            var av = MemoryMarshal.Cast<T, Vector<T>>(a);
            var bv = MemoryMarshal.Cast<T, Vector<T>>(b[..a.Length]);
            var yv = MemoryMarshal.Cast<T, Vector<T>>(y[..a.Length]);
            for (var j = 0; j < av.Length; j++) yv[j] += av[j] * bv[j];
            i = av.Length * Vector<T>.Count;
        }
        for (; i < a.Length; i++) y[i] += a[i] * b[i];
    }

    /// <summary>y *= x, elementwise.</summary>
    public static void Multiply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var yv = MemoryMarshal.Cast<T, Vector<T>>(y[..x.Length]);
            for (var j = 0; j < xv.Length; j++) yv[j] *= xv[j];
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < x.Length; i++) y[i] *= x[i];
    }

    /// <summary>Sum of x[i] * y[i], in a fixed order.</summary>
    public static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, INumber<T>
    {
        var i = 0;
        var sum = T.Zero;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var acc = Vector<T>.Zero;
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var yv = MemoryMarshal.Cast<T, Vector<T>>(y[..x.Length]);
            for (var j = 0; j < xv.Length; j++) acc += xv[j] * yv[j];
            sum = Vector.Sum(acc);
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>x *= a.</summary>
    public static void Scale<T>(Span<T> x, T a) where T : unmanaged, INumber<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var va = new Vector<T>(a);
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            for (var j = 0; j < xv.Length; j++) xv[j] *= va;
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < x.Length; i++) x[i] *= a;
    }

    /// <summary>y += x.</summary>
    public static void Add<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var yv = MemoryMarshal.Cast<T, Vector<T>>(y[..x.Length]);
            for (var j = 0; j < xv.Length; j++) yv[j] += xv[j];
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < x.Length; i++) y[i] += x[i];
    }
}
