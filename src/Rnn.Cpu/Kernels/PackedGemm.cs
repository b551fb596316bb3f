using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// Float32 GEMM in the style of BLIS (Van Zee and van de Geijn 2015): B is packed into panels of
/// <see cref="NR"/> columns, A into panels of <see cref="MR"/> rows, and a register-blocked
/// micro-kernel keeps an MR x NR tile of C in vector registers while it streams both panels
/// from cache with fused multiply-adds: 8 x 32 in 16 Vector512 registers where AVX-512 is
/// available (a batch of 64 tiles exactly, one broadcast per two FMAs), else 6 x 16 in 12 Vector256.
/// </summary>
/// <remarks>
/// Determinism: every element of C accumulates its K products in the same order (K blocks in
/// order, k ascending within a block) whatever the thread count, because threads split C's
/// columns, never K.
/// </remarks>
internal static unsafe class PackedGemm
{
    /// <summary>Whether the 8 x 32 AVX-512 micro-kernel runs (else the 6 x 16 AVX2 one).</summary>
    public static readonly bool Wide = Vector512.IsHardwareAccelerated && Environment.GetEnvironmentVariable("GPURNN_CPU_NO_AVX512") != "1";

    /// <summary>Rows of the micro-tile.</summary>
    public static readonly int MR = Wide ? 8 : 6;

    /// <summary>Columns of the micro-tile: two vectors.</summary>
    public static readonly int NR = Wide ? 32 : 16;

    /// <summary>Depth of a packed block: an MR x KC panel of A and a KC x NR panel of B stay in L1.</summary>
    public const int KC = 256;

    /// <summary>Rows of A packed at once (a multiple of MR), sized for L2.</summary>
    private const int MC = 120; // a multiple of both 6 and 8

    // Below this many multiply-adds per worker a second thread costs more than it saves.
    private const long ParallelThreshold = 1L << 20;

    /// <summary>Whether the vectorised path can run on this machine.</summary>
    public static bool IsSupported => Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    /// <summary>C[M, N] = alpha * op(A) * B + beta * C, with B already packed.</summary>
    public static void Run(ReadOnlySpan<float> a, int lda, bool transA, PackedMatrix b, Span<float> c, int ldc,
        int m, float alpha, float beta)
    {
        int n = b.Columns, k = b.Depth;
        if (m == 0 || n == 0) return;
        ScaleC(c, ldc, m, n, beta);
        if (k == 0 || alpha == 0) return;

        var panels = b.Panels;
        var workers = (long)m * n * k < ParallelThreshold ? 1 : Math.Min(CpuThreads.Count, panels);
        fixed (float* pa = a, pc = c)
        {
            var (aPtr, cPtr) = ((nint)pa, (nint)pc);
            if (workers == 1)
            {
                Columns((float*)aPtr, lda, transA, b, (float*)cPtr, ldc, m, alpha, 0, panels);
                return;
            }
            Parallel.For(0, workers, w =>
            {
                int p0 = panels * w / workers, p1 = panels * (w + 1) / workers;
                Columns((float*)aPtr, lda, transA, b, (float*)cPtr, ldc, m, alpha, p0, p1);
            });
        }
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

    /// <summary>One worker: the column panels [p0, p1) of C, all rows, all K blocks.</summary>
    private static void Columns(float* a, int lda, bool transA, PackedMatrix b, float* c, int ldc, int m, float alpha, int p0, int p1)
    {
        var aPack = PackBuffer.Rent(MC * KC);
        try
        {
            fixed (float* ap = aPack, bp = b.Data)
            {
                for (var kb = 0; kb < b.Depth; kb += KC)
                {
                    var kc = Math.Min(KC, b.Depth - kb);
                    for (var ic = 0; ic < m; ic += MC)
                    {
                        var mc = Math.Min(MC, m - ic);
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
                                if (mr == MR && nr == NR) Kernel(kc, ap + ir * kc, bPanel, cTile, ldc, alpha);
                                else EdgeTile(kc, ap + ir * kc, bPanel, cTile, ldc, alpha, mr, nr);
                            }
                        }
                    }
                }
            }
        }
        finally { PackBuffer.Return(aPack); }
    }

    /// <summary>Packs rows [i0, i0+mc) and depth [k0, k0+kc) of op(A) into MR-row panels, k-major, zero-padded.</summary>
    private static void PackA(float* a, int lda, bool transA, int i0, int mc, int k0, int kc, float* dst)
    {
        for (var ir = 0; ir < mc; ir += MR)
        {
            var mr = Math.Min(MR, mc - ir);
            var panel = dst + ir * kc;
            for (var p = 0; p < kc; p++)
            {
                var d = panel + p * MR;
                for (var r = 0; r < mr; r++)
                {
                    long row = i0 + ir + r, col = k0 + p;
                    d[r] = transA ? a[col * lda + row] : a[row * lda + col];
                }
                for (var r = mr; r < MR; r++) d[r] = 0;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(int kc, float* a, float* b, float* c, int ldc, float alpha)
    {
        if (Wide) Kernel8x32(kc, a, b, c, ldc, alpha);
        else Kernel6x16(kc, a, b, c, ldc, alpha);
    }

    /// <summary>C[8, 32] += alpha * Apanel[8, kc] * Bpanel[kc, 32], the tile in 16 zmm registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(int kc, float* a, float* b, float* c, int ldc, float alpha)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            a += 8;
            b += 32;
        }
        var va = Vector512.Create(alpha);
        Store(c, c00, c01, va);
        Store(c + ldc, c10, c11, va);
        Store(c + 2 * ldc, c20, c21, va);
        Store(c + 3 * ldc, c30, c31, va);
        Store(c + 4 * ldc, c40, c41, va);
        Store(c + 5 * ldc, c50, c51, va);
        Store(c + 6 * ldc, c60, c61, va);
        Store(c + 7 * ldc, c70, c71, va);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha)
    {
        Vector512.FusedMultiplyAdd(alpha, lo, Vector512.Load(c)).Store(c);
        Vector512.FusedMultiplyAdd(alpha, hi, Vector512.Load(c + 16)).Store(c + 16);
    }

    /// <summary>C[6, 16] += alpha * Apanel[6, kc] * Bpanel[kc, 16], the tile in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, float alpha)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            a += 6;
            b += 16;
        }
        var va = Vector256.Create(alpha);
        Store(c, c00, c01, va);
        Store(c + ldc, c10, c11, va);
        Store(c + 2 * ldc, c20, c21, va);
        Store(c + 3 * ldc, c30, c31, va);
        Store(c + 4 * ldc, c40, c41, va);
        Store(c + 5 * ldc, c50, c51, va);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha)
    {
        Vector256.FusedMultiplyAdd(alpha, lo, Vector256.Load(c)).Store(c);
        Vector256.FusedMultiplyAdd(alpha, hi, Vector256.Load(c + 8)).Store(c + 8);
    }

    /// <summary>A partial tile at the bottom or right edge: computed in full on padded panels, stored in part.</summary>
    private static void EdgeTile(int kc, float* a, float* b, float* c, int ldc, float alpha, int mr, int nr)
    {
        var tile = stackalloc float[8 * 32];
        new Span<float>(tile, MR * NR).Clear();
        Kernel(kc, a, b, tile, NR, 1);
        for (var r = 0; r < mr; r++)
            for (var j = 0; j < nr; j++)
                c[(long)r * ldc + j] += alpha * tile[r * NR + j];
    }
}

/// <summary>
/// The B operand of <see cref="PackedGemm"/>, packed once and reusable: the recurrent weights are
/// packed at the start of a layer call and serve every time step.
/// Layout: for each KC block of depth, for each NR-column panel, kc rows of NR values (zero-padded).
/// </summary>
internal sealed class PackedMatrix
{
    [ThreadStatic] private static PackedMatrix? _scratch;

    private PackedMatrix() { }

    /// <summary>K: rows of op(B).</summary>
    public int Depth { get; private set; }

    /// <summary>N: columns of op(B).</summary>
    public int Columns { get; private set; }

    /// <summary>Number of NR-column panels.</summary>
    public int Panels { get; private set; }

    /// <summary>The packed values (possibly longer than needed).</summary>
    public float[] Data { get; private set; } = [];

    /// <summary>Where panel p of the K block starting at k0 begins in <see cref="Data"/>.</summary>
    public long PanelOffset(int k0, int p)
    {
        var kc = Math.Min(PackedGemm.KC, Depth - k0);
        return (long)k0 * Panels * PackedGemm.NR + (long)p * kc * PackedGemm.NR;
    }

    /// <summary>Packs op(B) [K, N], where B is [K, N] (ldb) or, transposed, [N, K] (ldb), into a new matrix.</summary>
    public static PackedMatrix Pack(ReadOnlySpan<float> b, int ldb, bool transB, int k, int n)
    {
        var packed = new PackedMatrix();
        packed.Repack(b, ldb, transB, k, n);
        return packed;
    }

    /// <summary>Packs into this thread's scratch matrix (valid until the thread's next call), for one-off products.</summary>
    public static PackedMatrix PackScratch(ReadOnlySpan<float> b, int ldb, bool transB, int k, int n)
    {
        var packed = _scratch ??= new PackedMatrix();
        packed.Repack(b, ldb, transB, k, n);
        return packed;
    }

    /// <summary>Packs op(B) into this matrix, growing its buffer only when it is too small.</summary>
    public void Repack(ReadOnlySpan<float> b, int ldb, bool transB, int k, int n)
    {
        var nr = PackedGemm.NR;
        Depth = k;
        Columns = n;
        Panels = (n + nr - 1) / nr;
        var length = (long)Panels * nr * Math.Max(k, 1);
        if (Data.LongLength < length) Data = new float[length];
        for (var k0 = 0; k0 < Depth; k0 += PackedGemm.KC)
        {
            var kc = Math.Min(PackedGemm.KC, Depth - k0);
            for (var p = 0; p < Panels; p++)
            {
                var dst = Data.AsSpan((int)PanelOffset(k0, p), kc * nr);
                var fullPanel = (p + 1) * nr <= Columns;
                for (var q = 0; q < kc; q++)
                {
                    var row = dst.Slice(q * nr, nr);
                    int depth = k0 + q, col0 = p * nr;
                    if (!transB && fullPanel)
                    {
                        b.Slice(depth * ldb + col0, nr).CopyTo(row);
                        continue;
                    }
                    for (var j = 0; j < nr; j++)
                    {
                        var col = col0 + j;
                        row[j] = col >= Columns ? 0 : transB ? b[col * ldb + depth] : b[depth * ldb + col];
                    }
                }
            }
        }
    }
}

/// <summary>Per-thread scratch for packing, so steady-state GEMMs allocate nothing.</summary>
internal static class PackBuffer
{
    [ThreadStatic] private static float[]? _cached;

    public static float[] Rent(int length)
    {
        var buffer = _cached;
        _cached = null;
        return buffer is not null && buffer.Length >= length ? buffer : new float[length];
    }

    public static void Return(float[] buffer) => _cached = buffer;
}
