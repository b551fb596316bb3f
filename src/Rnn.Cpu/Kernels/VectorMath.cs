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
    public static Vector256<float> Exp(Vector256<float> x) => Exp<Vector256<float>, Lanes8>(x);

    /// <summary>1 / (1 + exp(-x)) for eight floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Sigmoid<Vector256<float>, Lanes8>(x);

    /// <summary>tanh(x) for eight floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x) => Tanh<Vector256<float>, Lanes8>(x);

    /// <summary>exp(x) lane by lane, any width; overflows to +inf above 88.72 and flushes to 0 below -87.33.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TV, TL>(TV x) where TV : struct where TL : IFloatLanes<TV>
    {
        var upper = TL.Splat(88.72283f);
        var lower = TL.Splat(-87.33654f);
        var tooLarge = TL.LessThan(upper, x);
        var tooSmall = TL.LessThan(x, lower);
        x = TL.Max(TL.Min(x, upper), lower);
        // x = n ln2 + r, |r| <= ln2 / 2, with ln2 split in two so r is exact.
        var n = TL.Floor(TL.MultiplyAdd(x, TL.Splat(1.44269504088896341f), TL.Splat(0.5f)));
        var r = TL.MultiplyAdd(n, TL.Splat(-0.693359375f), x);
        r = TL.MultiplyAdd(n, TL.Splat(2.12194440e-4f), r);
        var p = TL.Splat(1.9875691500e-4f);
        p = TL.MultiplyAdd(p, r, TL.Splat(1.3981999507e-3f));
        p = TL.MultiplyAdd(p, r, TL.Splat(8.3334519073e-3f));
        p = TL.MultiplyAdd(p, r, TL.Splat(4.1665795894e-2f));
        p = TL.MultiplyAdd(p, r, TL.Splat(1.6666665459e-1f));
        p = TL.MultiplyAdd(p, r, TL.Splat(5.0000001201e-1f));
        p = TL.MultiplyAdd(p, TL.Multiply(r, r), TL.Add(r, TL.Splat(1f)));
        var result = TL.ScaleByPowerOfTwo(p, n);
        result = TL.Select(tooLarge, TL.Splat(float.PositiveInfinity), result);
        return TL.Select(tooSmall, TL.Splat(0f), result);
    }

    /// <summary>1 / (1 + exp(-x)) lane by lane, any width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid<TV, TL>(TV x) where TV : struct where TL : IFloatLanes<TV>
    {
        var one = TL.Splat(1f);
        return TL.Divide(one, TL.Add(one, Exp<TV, TL>(TL.Negate(x))));
    }

    /// <summary>tanh(x) lane by lane, any width: an odd polynomial for |x| &lt; 0.625, else 1 - 2 / (exp(2|x|) + 1) with x's sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh<TV, TL>(TV x) where TV : struct where TL : IFloatLanes<TV>
    {
        var ax = TL.Abs(x);
        var z = TL.Multiply(x, x);
        var p = TL.Splat(-5.70498872745e-3f);
        p = TL.MultiplyAdd(p, z, TL.Splat(2.06390887954e-2f));
        p = TL.MultiplyAdd(p, z, TL.Splat(-5.37397155531e-2f));
        p = TL.MultiplyAdd(p, z, TL.Splat(1.33314422036e-1f));
        p = TL.MultiplyAdd(p, z, TL.Splat(-3.33332819422e-1f));
        var small = TL.MultiplyAdd(TL.Multiply(p, z), x, x);
        // For large |x|, exp overflows to inf and 2 / inf = 0 gives exactly 1.
        var one = TL.Splat(1f);
        var large = TL.Subtract(one, TL.Divide(TL.Splat(2f), TL.Add(Exp<TV, TL>(TL.Add(ax, ax)), one)));
        large = TL.Select(TL.Splat(-0f), x, large);
        return TL.Select(TL.LessThan(ax, TL.Splat(0.625f)), small, large);
    }
}
