using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// The B operand of <see cref="PackedGemm"/>, packed once and reusable: the recurrent weights are
/// packed at the start of a layer call and serve every time step.
/// Layout: for each KC block of depth, for each NR-column panel, kc rows of NR values (zero-padded).
/// </summary>
internal sealed unsafe class PackedMatrix
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

    /// <summary>Packs op(B) into a matrix whose buffer comes from <paramref name="pool"/>; <see cref="Return"/> gives it back.</summary>
    public static PackedMatrix Pack(BufferPool pool, ReadOnlySpan<float> b, int ldb, bool transB, int k, int n)
    {
        var packed = new PackedMatrix { Data = pool.Rent<float>(checked((int)Length(k, n))) };
        packed.Repack(b, ldb, transB, k, n);
        return packed;
    }

    /// <summary>Gives a pooled buffer back; the matrix is empty afterwards.</summary>
    public void Return(BufferPool pool)
    {
        pool.Return(Data);
        Data = [];
    }

    /// <summary>Floats the packed op(B) [K, N] takes.</summary>
    private static long Length(int k, int n) => (long)((n + PackedGemm.NR - 1) / PackedGemm.NR) * PackedGemm.NR * Math.Max(k, 1);

    /// <summary>Packs into this thread's scratch matrix (valid until the thread's next call), for one-off products.</summary>
    public static PackedMatrix PackScratch(ReadOnlySpan<float> b, int ldb, bool transB, int k, int n)
    {
        var packed = _scratch ??= new PackedMatrix();
        packed.Repack(b, ldb, transB, k, n);
        return packed;
    }

    /// <summary>Packs op(B) into this matrix, growing its buffer only when it is too small; large ones on the call's threads.</summary>
    public void Repack(ReadOnlySpan<float> b, int ldb, bool transB, int k, int n)
    {
        var nr = PackedGemm.NR;
        Depth = k;
        Columns = n;
        Panels = (n + nr - 1) / nr;
        var length = Length(k, n);
        if (Data.LongLength < length) Data = new float[length];
        var workers = (long)k * n < 1 << 18 ? 1 : Math.Min(CpuThreads.Count, Panels);
        fixed (float* source = b)
        {
            var src = (nint)source;
            if (workers <= 1) PackPanels((float*)src, ldb, transB, 0, Panels);
            else Parallel.For(0, workers, w => PackPanels((float*)src, ldb, transB, Panels * w / workers, Panels * (w + 1) / workers));
        }
    }

    /// <summary>Packs column panels [p0, p1) of every K block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackPanels(float* b, int ldb, bool transB, int p0, int p1)
    {
        var nr = PackedGemm.NR;
        fixed (float* data = Data)
        {
            for (var k0 = 0; k0 < Depth; k0 += PackedGemm.KC)
            {
                var kc = Math.Min(PackedGemm.KC, Depth - k0);
                for (var p = p0; p < p1; p++)
                {
                    var dst = data + PanelOffset(k0, p);
                    int col0 = p * nr, width = Math.Min(nr, Columns - col0);
                    if (!transB)
                    {
                        // Rows of B are rows of the panel.
                        for (var q = 0; q < kc; q++)
                        {
                            var from = b + (long)(k0 + q) * ldb + col0;
                            var to = dst + q * nr;
                            if (width == nr)
                            {
                                new ReadOnlySpan<float>(from, nr).CopyTo(new Span<float>(to, nr));
                                continue;
                            }
                            for (var j = 0; j < nr; j++) to[j] = j < width ? from[j] : 0;
                        }
                        continue;
                    }
                    // Rows of B are columns of the panel: 8 x 8 blocks transposed in registers, the rest one by one.
                    var q0 = 0;
                    if (width == nr && Avx.IsSupported)
                    {
                        for (; q0 + 8 <= kc; q0 += 8)
                        {
                            for (var j0 = 0; j0 < nr; j0 += 8)
                                PackedGemm.Transpose8x8(b + (long)(col0 + j0) * ldb + k0 + q0, ldb, dst + q0 * nr + j0, nr);
                        }
                    }
                    for (var j = 0; j < nr; j++)
                    {
                        var from = b + (long)(col0 + j) * ldb + k0;
                        for (var q = q0; q < kc; q++) dst[q * nr + j] = j < width ? from[q] : 0;
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
