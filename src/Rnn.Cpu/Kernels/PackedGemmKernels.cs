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
        if (PackedGemm.Wide) Kernel8x32(kc, a, b, c, ldc, alpha, overwrite);
        else Kernel6x16(kc, a, b, c, ldc, alpha, overwrite);
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

    /// <summary>C[8, 32] (+)= alpha * Apanel[8, kc] * Bpanel[kc, 32], the tile in 16 zmm registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(int kc, float* a, float* b, float* c, int ldc, float alpha, bool overwrite)
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
        Store(c, c00, c01, va, overwrite);
        Store(c + ldc, c10, c11, va, overwrite);
        Store(c + 2 * ldc, c20, c21, va, overwrite);
        Store(c + 3 * ldc, c30, c31, va, overwrite);
        Store(c + 4 * ldc, c40, c41, va, overwrite);
        Store(c + 5 * ldc, c50, c51, va, overwrite);
        Store(c + 6 * ldc, c60, c61, va, overwrite);
        Store(c + 7 * ldc, c70, c71, va, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha, bool overwrite)
    {
        if (overwrite)
        {
            (alpha * lo).Store(c);
            (alpha * hi).Store(c + 16);
            return;
        }
        Vector512.FusedMultiplyAdd(alpha, lo, Vector512.Load(c)).Store(c);
        Vector512.FusedMultiplyAdd(alpha, hi, Vector512.Load(c + 16)).Store(c + 16);
    }

    /// <summary>C[6, 16] (+)= alpha * Apanel[6, kc] * Bpanel[kc, 16], the tile in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, float alpha, bool overwrite)
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
        Store(c, c00, c01, va, overwrite);
        Store(c + ldc, c10, c11, va, overwrite);
        Store(c + 2 * ldc, c20, c21, va, overwrite);
        Store(c + 3 * ldc, c30, c31, va, overwrite);
        Store(c + 4 * ldc, c40, c41, va, overwrite);
        Store(c + 5 * ldc, c50, c51, va, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha, bool overwrite)
    {
        if (overwrite)
        {
            (alpha * lo).Store(c);
            (alpha * hi).Store(c + 8);
            return;
        }
        Vector256.FusedMultiplyAdd(alpha, lo, Vector256.Load(c)).Store(c);
        Vector256.FusedMultiplyAdd(alpha, hi, Vector256.Load(c + 8)).Store(c + 8);
    }
}
