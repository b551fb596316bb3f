using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// The micro-kernels of <see cref="PackedGemm"/>: C[MR, NR] (+)= alpha * Apanel[MR, kc] *
/// Bpanel[kc, NR] with the tile in registers, 8 x 32 in 16 zmm registers where AVX-512 is
/// available (one broadcast per two FMAs), else 6 x 16 in 12 ymm. Each element's sum runs k
/// ascending from zero and is stored as alpha * sum (overwrite) or fma(alpha, sum, C), the same
/// for whole and edge tiles, so a row's bits do not depend on the tile it falls in.
/// </summary>
internal static unsafe class PackedGemmKernels
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(int kc, float* a, float* b, float* c, int ldc, float alpha, bool overwrite)
    {
        if (PackedGemm.Wide) Kernel<Vector512<float>, Lanes16, EightRows>(kc, a, b, c, ldc, alpha, overwrite);
        else Kernel<Vector256<float>, Lanes8, SixRows>(kc, a, b, c, ldc, alpha, overwrite);
    }

    /// <summary>A partial tile at the bottom or right edge: computed in full on padded panels, stored in part.</summary>
    public static void EdgeTile(int kc, float* a, float* b, float* c, int ldc, float alpha, bool overwrite, int mr, int nr)
    {
        var tile = stackalloc float[8 * 32];
        int width = PackedGemm.NR;
        Tile(kc, a, b, tile, width, 1, overwrite: true);
        for (var r = 0; r < mr; r++)
        {
            for (var j = 0; j < nr; j++)
            {
                ref var target = ref c[(long)r * ldc + j];
                var sum = tile[r * width + j];
                target = overwrite ? alpha * sum : MathF.FusedMultiplyAdd(alpha, sum, target);
            }
        }
    }

    /// <summary>
    /// C[TR.Rows, 2U] (+)= alpha * Apanel[TR.Rows, kc] * Bpanel[kc, 2U], the tile in registers: two
    /// vectors a row, 8 x 32 in 16 zmm or 6 x 16 in 12 ymm.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TV, TL, TR>(int kc, float* a, float* b, float* c, int ldc, float alpha, bool overwrite)
        where TV : struct where TL : IFloatLanes<TV> where TR : IRowCount
    {
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        TV c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        var u = TL.Count;
        for (var p = 0; p < kc; p++)
        {
            var b0 = TL.Load(b);
            var b1 = TL.Load(b + u);
            Row<TV, TL>(a[0], b0, b1, ref c00, ref c01);
            Row<TV, TL>(a[1], b0, b1, ref c10, ref c11);
            Row<TV, TL>(a[2], b0, b1, ref c20, ref c21);
            Row<TV, TL>(a[3], b0, b1, ref c30, ref c31);
            Row<TV, TL>(a[4], b0, b1, ref c40, ref c41);
            Row<TV, TL>(a[5], b0, b1, ref c50, ref c51);
            if (TR.Rows > 6)
            {
                Row<TV, TL>(a[6], b0, b1, ref c60, ref c61);
                Row<TV, TL>(a[7], b0, b1, ref c70, ref c71);
            }
            a += TR.Rows;
            b += 2 * u;
        }
        var va = TL.Splat(alpha);
        Store<TV, TL>(c, c00, c01, va, overwrite);
        Store<TV, TL>(c + ldc, c10, c11, va, overwrite);
        Store<TV, TL>(c + 2 * ldc, c20, c21, va, overwrite);
        Store<TV, TL>(c + 3 * ldc, c30, c31, va, overwrite);
        Store<TV, TL>(c + 4 * ldc, c40, c41, va, overwrite);
        Store<TV, TL>(c + 5 * ldc, c50, c51, va, overwrite);
        if (TR.Rows > 6)
        {
            Store<TV, TL>(c + 6 * ldc, c60, c61, va, overwrite);
            Store<TV, TL>(c + 7 * ldc, c70, c71, va, overwrite);
        }
    }

    /// <summary>One row's two accumulators after one k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TV, TL>(float a, TV b0, TV b1, ref TV c0, ref TV c1) where TV : struct where TL : IFloatLanes<TV>
    {
        var v = TL.Splat(a);
        c0 = TL.MultiplyAdd(v, b0, c0);
        c1 = TL.MultiplyAdd(v, b1, c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV, TL>(float* c, TV lo, TV hi, TV alpha, bool overwrite) where TV : struct where TL : IFloatLanes<TV>
    {
        var u = TL.Count;
        if (overwrite)
        {
            TL.Store(c, TL.Multiply(alpha, lo));
            TL.Store(c + u, TL.Multiply(alpha, hi));
            return;
        }
        TL.Store(c, TL.MultiplyAdd(alpha, lo, TL.Load(c)));
        TL.Store(c + u, TL.MultiplyAdd(alpha, hi, TL.Load(c + u)));
    }
}

internal readonly struct SixRows : IRowCount { public static int Rows => 6; }
internal readonly struct EightRows : IRowCount { public static int Rows => 8; }
