using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// Float32 GEMM in the style of BLIS (Van Zee and van de Geijn 2015): B is packed into panels of
/// <see cref="NR"/> columns (<see cref="PackedMatrix"/>), A into panels of <see cref="MR"/> rows,
/// and a register-blocked micro-kernel (<see cref="PackedGemmKernels"/>) keeps an MR x NR tile of
/// C in vector registers while it streams both panels from cache with fused multiply-adds.
/// </summary>
/// <remarks>
/// Threads split C's rows when there are enough of them (each packs only its own rows of A and
/// all share the packed B), else C's column panels. Determinism: every element of C accumulates
/// its K products in the same order (K blocks in order, k ascending within a block) and is stored
/// by the same arithmetic whatever the split, because no split ever divides K.
/// </remarks>
internal static unsafe class PackedGemm
{
    /// <summary>Whether the 8 x 32 AVX-512 micro-kernel runs (else the 6 x 16 AVX2 one).</summary>
    public static readonly bool Wide = Vector512.IsHardwareAccelerated && Environment.GetEnvironmentVariable("GPURNN_CPU_NO_AVX512") != "1";

    /// <summary>Rows of the micro-tile.</summary>
    public static readonly int MR = Wide ? 8 : 6;

    /// <summary>Columns of the micro-tile: two vectors.</summary>
    public static readonly int NR = Wide ? 32 : 16;

    /// <summary>
    /// Depth of a packed block. Measured on Zen 4 (1 MB L2): 512 beats the L1-sized 256 by about
    /// 10%, since the B panel streams from L2 at full speed and fewer blocks mean fewer passes over C.
    /// </summary>
    public const int KC = 512;

    /// <summary>Rows of A packed at once (a multiple of both 6 and 8), sized for L2 beside a B panel.</summary>
    private const int MC = 96;

    // Below this many multiply-adds per worker a second thread costs more than it saves.
    private const long ParallelThreshold = 1L << 20;

    /// <summary>Whether the vectorised path can run on this machine.</summary>
    public static bool IsSupported => Vector256.IsHardwareAccelerated && Fma.IsSupported;

    /// <summary>C[M, N] = alpha * op(A) * B + beta * C, with B already packed, on the call's threads.</summary>
    public static void Run(ReadOnlySpan<float> a, int lda, bool transA, PackedMatrix b, Span<float> c, int ldc,
        int m, float alpha, float beta)
    {
        int n = b.Columns, k = b.Depth;
        if (m == 0 || n == 0) return;
        if (!Prepare(c, ldc, m, n, k, alpha, ref beta)) return;
        var threads = (long)m * n * k < ParallelThreshold ? 1 : CpuThreads.Count;
        fixed (float* pa = a, pc = c)
        {
            var (aPtr, cPtr, overwrite) = ((nint)pa, (nint)pc, beta == 0);
            var tiles = (m + MR - 1) / MR;
            if (threads > 1 && tiles >= 2 * threads)
            {
                // Rows: whole micro-tiles per thread, so every row lands in the same kind of tile as with one thread.
                Parallel.For(0, threads, w =>
                {
                    int r0 = tiles * w / threads * MR, r1 = Math.Min(m, tiles * (w + 1) / threads * MR);
                    Block((float*)aPtr, lda, transA, b, (float*)cPtr, ldc, r0, r1, 0, b.Panels, alpha, overwrite);
                });
                return;
            }
            var workers = Math.Min(threads, b.Panels);
            if (workers <= 1)
            {
                Block((float*)aPtr, lda, transA, b, (float*)cPtr, ldc, 0, m, 0, b.Panels, alpha, overwrite);
                return;
            }
            Parallel.For(0, workers, w =>
            {
                int p0 = b.Panels * w / workers, p1 = b.Panels * (w + 1) / workers;
                Block((float*)aPtr, lda, transA, b, (float*)cPtr, ldc, 0, m, p0, p1, alpha, overwrite);
            });
        }
    }

    /// <summary>
    /// The same on the calling thread alone, for rows [r0, r1) of op(A) and C: what a worker that
    /// already owns those rows (a batch slice of a recurrent layer) runs.
    /// </summary>
    public static void RunRows(ReadOnlySpan<float> a, int lda, bool transA, PackedMatrix b, Span<float> c, int ldc,
        int r0, int r1, float alpha, float beta)
    {
        int n = b.Columns, k = b.Depth;
        if (r1 <= r0 || n == 0) return;
        fixed (float* pa = a, pc = c)
        {
            if (!Prepare(new Span<float>(pc + (long)r0 * ldc, (r1 - r0 - 1) * ldc + n), ldc, r1 - r0, n, k, alpha, ref beta)) return;
            Block(pa, lda, transA, b, pc, ldc, r0, r1, 0, b.Panels, alpha, beta == 0);
        }
    }

    /// <summary>Applies beta where the kernels cannot fold it; false when nothing is left to add.</summary>
    private static bool Prepare(Span<float> c, int ldc, int m, int n, int k, float alpha, ref float beta)
    {
        if (k == 0 || alpha == 0)
        {
            ScaleC(c, ldc, m, n, beta);
            return false;
        }
        // The kernels either overwrite C (beta 0, first K block) or add to it; any other beta scales first.
        if (beta != 0 && beta != 1)
        {
            ScaleC(c, ldc, m, n, beta);
            beta = 1;
        }
        return true;
    }

    private static void ScaleC(Span<float> c, int ldc, int m, int n, float beta)
    {
        if (beta == 1) return;
        for (var i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0) row.Clear();
            else Vectorized.Scale(row, beta);
        }
    }

    /// <summary>One worker: rows [r0, r1) and column panels [p0, p1) of C, all K blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(float* a, int lda, bool transA, PackedMatrix b, float* c, int ldc,
        int r0, int r1, int p0, int p1, float alpha, bool overwrite)
    {
        var aPack = PackBuffer.Rent(MC * KC);
        try
        {
            fixed (float* ap = aPack, bp = b.Data)
            {
                for (var kb = 0; kb < b.Depth; kb += KC)
                {
                    var kc = Math.Min(KC, b.Depth - kb);
                    var first = overwrite && kb == 0;
                    for (var ic = r0; ic < r1; ic += MC)
                    {
                        var mc = Math.Min(MC, r1 - ic);
                        PackA(a, lda, transA, ic, mc, kb, kc, ap);
                        for (var p = p0; p < p1; p++)
                        {
                            var bPanel = bp + b.PanelOffset(kb, p);
                            var col = p * NR;
                            var nr = Math.Min(NR, b.Columns - col);
                            for (var ir = 0; ir < mc; ir += MR)
                            {
                                var mr = Math.Min(MR, mc - ir);
                                var cTile = c + (long)(ic + ir) * ldc + col;
                                if (mr == MR && nr == NR) PackedGemmKernels.Tile(kc, ap + ir * kc, bPanel, cTile, ldc, alpha, first);
                                else PackedGemmKernels.EdgeTile(kc, ap + ir * kc, bPanel, cTile, ldc, alpha, first, mr, nr);
                            }
                        }
                    }
                }
            }
        }
        finally { PackBuffer.Return(aPack); }
    }

    /// <summary>Packs rows [i0, i0+mc) and depth [k0, k0+kc) of op(A) into MR-row panels, k-major, zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(float* a, int lda, bool transA, int i0, int mc, int k0, int kc, float* dst)
    {
        var mr8 = MR == 8;
        for (var ir = 0; ir < mc; ir += MR)
        {
            var mr = Math.Min(MR, mc - ir);
            var panel = dst + ir * kc;
            if (transA)
            {
                // op(A) row i is A's column i: each k gives MR neighbours in one row of A.
                var src = a + (long)k0 * lda + i0 + ir;
                for (var p = 0; p < kc; p++, src += lda)
                {
                    var d = panel + p * MR;
                    if (mr8 && mr == 8)
                    {
                        Vector256.Store(Vector256.Load(src), d);
                        continue;
                    }
                    for (var r = 0; r < MR; r++) d[r] = r < mr ? src[r] : 0;
                }
                continue;
            }
            var rows = a + (long)(i0 + ir) * lda + k0;
            var p0 = 0;
            if (mr8 && mr == 8)
            {
                // Eight rows by eight k at a time, transposed in registers.
                for (; p0 + 8 <= kc; p0 += 8) Transpose8x8(rows + p0, lda, panel + p0 * 8, 8);
            }
            // The rest row by row: contiguous reads, writes MR apart.
            for (var r = 0; r < MR; r++)
            {
                var d = panel + r;
                if (r >= mr)
                {
                    for (var p = p0; p < kc; p++) d[p * MR] = 0;
                    continue;
                }
                var src = rows + (long)r * lda;
                for (var p = p0; p < kc; p++) d[p * MR] = src[p];
            }
        }
    }

    /// <summary>dst[p * ldd + r] = src[r * lda + p] for r, p &lt; 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose8x8(float* src, int lda, float* dst, int ldd)
    {
        var r0 = Vector256.Load(src);
        var r1 = Vector256.Load(src + lda);
        var r2 = Vector256.Load(src + 2L * lda);
        var r3 = Vector256.Load(src + 3L * lda);
        var r4 = Vector256.Load(src + 4L * lda);
        var r5 = Vector256.Load(src + 5L * lda);
        var r6 = Vector256.Load(src + 6L * lda);
        var r7 = Vector256.Load(src + 7L * lda);
        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves exchanged.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).Store(dst);
        Avx.Permute2x128(u1, u5, 0x20).Store(dst + ldd);
        Avx.Permute2x128(u2, u6, 0x20).Store(dst + 2 * ldd);
        Avx.Permute2x128(u3, u7, 0x20).Store(dst + 3 * ldd);
        Avx.Permute2x128(u0, u4, 0x31).Store(dst + 4 * ldd);
        Avx.Permute2x128(u1, u5, 0x31).Store(dst + 5 * ldd);
        Avx.Permute2x128(u2, u6, 0x31).Store(dst + 6 * ldd);
        Avx.Permute2x128(u3, u7, 0x31).Store(dst + 7 * ldd);
    }
}
