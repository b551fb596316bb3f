using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>Operands of one GEMM: C = alpha * op(A) * op(B) + beta * C (+ bias per column).</summary>
internal struct GemmArgs
{
    public ArrayView<float> A;    // [M, K] with row stride Lda, or [K, M] when TransA
    public ArrayView<float> B;    // [K, N] with row stride Ldb, or [N, K] when TransB
    public ArrayView<float> C;    // [M, N] with row stride Ldc
    public ArrayView<float> Bias; // [N], read when HasBias
    public ArrayView<float> Partials; // [M, ceil(N / TileN), 3], written when HasPartials (GemmPartials)
    public int M, N, K, Lda, Ldb, Ldc;
    public int TransA, TransB, HasBias, HasPartials;
    public float Alpha, Beta;
}

/// <summary>
/// Tiled matrix product, the twin of <c>src/Rnn.Cpu/Kernels/Gemm.cs</c>. One 64-thread group
/// computes a 64 x 32 tile of C; operand tiles of depth 16 are staged in shared memory (padded
/// against bank conflicts) and each thread keeps an 8 x 4 register tile (rows ty + 8i, columns
/// tx + 8j), so each k step costs 12 shared loads for 32 FMAs. Transposes are resolved while
/// loading tiles, always reading global memory along its contiguous axis. With HasPartials the
/// epilogue also writes each output row's statistics over the group's column tile
/// (<see cref="GemmPartials"/>), for layer norm; without it the kernel does what it always did.
/// </summary>
internal static class Gemm
{
    public const int TileM = 64;
    public const int TileN = 32;
    public const int TileK = 16;
    /// <summary>Shared row stride of the A tile, padded so the transposed stores do not conflict.</summary>
    public const int StrideA = TileM + 1;

    /// <summary>Shared row stride of the B tile.</summary>
    public const int StrideB = TileN + 1;

    /// <summary>Grid: (ceil(M / 64), ceil(N / 32)) groups of 64 threads.</summary>
    [Kernel]
    public static void Tiled(GemmArgs p)
    {
        var aTile = SharedMemory.Allocate<float>(TileK * StrideA);
        var bTile = SharedMemory.Allocate<float>(TileK * StrideB);
        var tid = Group.IdxX;
        int tx = tid % 8, ty = tid / 8;
        var m0 = Grid.IdxX * TileM;
        var n0 = Grid.IdxY * TileN;
        Float4 r0 = default, r1 = default, r2 = default, r3 = default, r4 = default, r5 = default, r6 = default, r7 = default;

        // Operand tiles are loaded one ahead into registers (TileStaging.cs): their global loads overlap the arithmetic.
        var tiles = TilePipeline<GemmTileA, Staged16, GemmTileB, Staged8>.Start(new GemmTileA(p, m0, tid, 0), new GemmTileB(p, n0, tid, 0));
        for (var k0 = 0; k0 < p.K; k0 += TileK)
        {
            tiles.Advance(k0, TileK, p.K, aTile, bTile);
            for (var kk = 0; kk < TileK; kk++)
            {
                var bRow = kk * StrideB + tx;
                float b0 = bTile[bRow], b1 = bTile[bRow + 8], b2 = bTile[bRow + 16], b3 = bTile[bRow + 24];
                var aRow = kk * StrideA + ty;
                r0.MulAdd(aTile[aRow], b0, b1, b2, b3);
                r1.MulAdd(aTile[aRow + 8], b0, b1, b2, b3);
                r2.MulAdd(aTile[aRow + 16], b0, b1, b2, b3);
                r3.MulAdd(aTile[aRow + 24], b0, b1, b2, b3);
                r4.MulAdd(aTile[aRow + 32], b0, b1, b2, b3);
                r5.MulAdd(aTile[aRow + 40], b0, b1, b2, b3);
                r6.MulAdd(aTile[aRow + 48], b0, b1, b2, b3);
                r7.MulAdd(aTile[aRow + 56], b0, b1, b2, b3);
            }
            Group.Barrier();
        }

        var m = m0 + ty;
        var n = n0 + tx;
        r0 = StoreRow(p, m, n, r0);
        r1 = StoreRow(p, m + 8, n, r1);
        r2 = StoreRow(p, m + 16, n, r2);
        r3 = StoreRow(p, m + 24, n, r3);
        r4 = StoreRow(p, m + 32, n, r4);
        r5 = StoreRow(p, m + 40, n, r5);
        r6 = StoreRow(p, m + 48, n, r6);
        r7 = StoreRow(p, m + 56, n, r7);
        // The flag is the same for the whole group, so its barriers are reached by every thread.
        if (p.HasPartials != 0) GemmPartials.Write(p, aTile, bTile, m0, n0, tx, ty, r0, r1, r2, r3, r4, r5, r6, r7);
    }

    /// <summary>Stores one register row; returns the values stored (0 where outside C), which the partials read.</summary>
    private static Float4 StoreRow(GemmArgs p, int m, int n, Float4 r)
    {
        if (m >= p.M) return default;
        return new Float4
        {
            X = Store(p, m, n, r.X),
            Y = Store(p, m, n + 8, r.Y),
            Z = Store(p, m, n + 16, r.Z),
            W = Store(p, m, n + 24, r.W),
        };
    }

    private static float Store(GemmArgs p, int m, int n, float acc)
    {
        if (n >= p.N) return 0f;
        var index = m * p.Ldc + n;
        var v = p.Alpha * acc;
        if (p.HasBias != 0) v += p.Bias[n];
        // beta 0 ignores C's old contents, NaN included, as BLAS does.
        if (p.Beta != 0f) v += p.Beta * p.C[index];
        p.C[index] = v;
        return v;
    }
}

/// <summary>
/// The A operand's 64 x 16 tile, read along A's contiguous axis, stored k-major. Element i of
/// thread tid: row tid / 16 + 4i at depth tid % 16 for a row-major A; row tid at depth i for a
/// transposed one (64 consecutive m of one k row per pass).
/// </summary>
internal readonly struct GemmTileA(GemmArgs p, int m0, int tid, int k0) : ITileSource<GemmTileA>
{
    public GemmTileA At(int depth) => new(p, m0, tid, depth);

    private const int RowsPerPass = LaunchShapes.GroupSize / Gemm.TileK;

    private int Row(int i) => p.TransA == 0 ? tid / Gemm.TileK + RowsPerPass * i : tid;

    private int Depth(int i) => p.TransA == 0 ? tid % Gemm.TileK : i;

    public float Load(int i)
    {
        int gm = m0 + Row(i), gk = k0 + Depth(i);
        if (gm >= p.M || gk >= p.K) return 0f;
        return p.TransA == 0 ? p.A[gm * p.Lda + gk] : p.A[gk * p.Lda + gm];
    }

    public int SharedIndex(int i) => Depth(i) * Gemm.StrideA + Row(i);
}

/// <summary>
/// The B operand's 16 x 32 tile, read along B's contiguous axis, stored k-major. Element i of
/// thread tid: depth tid / 32 + 2i, column tid % 32 for a row-major B; column tid / 16 + 4i at
/// depth tid % 16 for a transposed one.
/// </summary>
internal readonly struct GemmTileB(GemmArgs p, int n0, int tid, int k0) : ITileSource<GemmTileB>
{
    public GemmTileB At(int depth) => new(p, n0, tid, depth);

    private const int DepthPerPass = LaunchShapes.GroupSize / Gemm.TileN;
    private const int ColumnsPerPass = LaunchShapes.GroupSize / Gemm.TileK;

    private int Column(int i) => p.TransB == 0 ? tid % Gemm.TileN : tid / Gemm.TileK + ColumnsPerPass * i;

    private int Depth(int i) => p.TransB == 0 ? tid / Gemm.TileN + DepthPerPass * i : tid % Gemm.TileK;

    public float Load(int i)
    {
        int gn = n0 + Column(i), gk = k0 + Depth(i);
        if (gn >= p.N || gk >= p.K) return 0f;
        return p.TransB == 0 ? p.B[gk * p.Ldb + gn] : p.B[gn * p.Ldb + gk];
    }

    public int SharedIndex(int i) => Depth(i) * Gemm.StrideB + Column(i);
}
