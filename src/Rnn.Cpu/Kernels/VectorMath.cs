using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// The gate nonlinearities over whole spans. Float32 runs eight lanes at a time with a
/// Cephes-style exp (range reduction by ln 2, degree-6 polynomial, exponent bits for 2^n) that is
/// within a few ulps of the exact value; tanh keeps its relative accuracy near zero with an odd
/// polynomial there. Float64 stays on the exact scalar library functions, which is what gradient
/// checks rely on.
/// </summary>
internal static class VectorMath
{
    /// <summary>x[i] = 1 / (1 + exp(-x[i])).</summary>
    public static void SigmoidInPlace<T>(Span<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var i = 0;
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
        {
            var v = MemoryMarshal.Cast<T, Vector256<float>>(x);
            for (var j = 0; j < v.Length; j++) v[j] = Sigmoid(v[j]);
            i = v.Length * Vector256<float>.Count;
        }
        for (; i < x.Length; i++) x[i] = Activations.Sigmoid(x[i]);
    }

    /// <summary>x[i] = tanh(x[i]).</summary>
    public static void TanhInPlace<T>(Span<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Tanh<T>(x, x);

    /// <summary>y[i] = tanh(x[i]) (x and y may be the same span).</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var i = 0;
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
        {
            var vx = MemoryMarshal.Cast<T, Vector256<float>>(x);
            var vy = MemoryMarshal.Cast<T, Vector256<float>>(y[..x.Length]);
            for (var j = 0; j < vx.Length; j++) vy[j] = Tanh(vx[j]);
            i = vx.Length * Vector256<float>.Count;
        }
        for (; i < x.Length; i++) y[i] = T.Tanh(x[i]);
    }

    /// <summary>exp(x) for eight floats; overflows to +inf above 88.72 and flushes to 0 below -87.33.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var tooLarge = Vector256.GreaterThan(x, Vector256.Create(88.72283f));
        var tooSmall = Vector256.LessThan(x, Vector256.Create(-87.33654f));
        x = Vector256.Max(Vector256.Min(x, Vector256.Create(88.72283f)), Vector256.Create(-87.33654f));
        // x = n ln2 + r, |r| <= ln2 / 2, with ln2 split in two so r is exact.
        var n = Vector256.Floor(Vector256.FusedMultiplyAdd(x, Vector256.Create(1.44269504088896341f), Vector256.Create(0.5f)));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.Create(1.9875691500e-4f);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.3981999507e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894e-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459e-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201e-1f));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        // 2^n assembled in two halves so n = 128 (x near 88.7) does not overflow the exponent field.
        var ni = Vector256.ConvertToInt32(n);
        var half = ni >> 1;
        var scale1 = (half + Vector256.Create(127)) << 23;
        var scale2 = (ni - half + Vector256.Create(127)) << 23;
        var result = p * scale1.AsSingle() * scale2.AsSingle();
        result = Vector256.ConditionalSelect(tooLarge, Vector256.Create(float.PositiveInfinity), result);
        return Vector256.ConditionalSelect(tooSmall, Vector256<float>.Zero, result);
    }

    /// <summary>1 / (1 + exp(-x)) for eight floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Exp(-x));

    /// <summary>tanh(x) for eight floats: an odd polynomial for |x| &lt; 0.625, else 1 - 2 / (exp(2|x|) + 1) with x's sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var z = x * x;
        var p = Vector256.Create(-5.70498872745e-3f);
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(2.06390887954e-2f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(-5.37397155531e-2f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(1.33314422036e-1f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(-3.33332819422e-1f));
        var small = Vector256.FusedMultiplyAdd(p * z, x, x);
        // For large |x|, exp overflows to inf and 2 / inf = 0 gives exactly 1.
        var large = Vector256<float>.One - Vector256.Create(2f) / (Exp(ax + ax) + Vector256<float>.One);
        large = Vector256.ConditionalSelect(Vector256.Create(-0f), x, large);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.625f)), small, large);
    }
}
