using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// One SIMD register of floats as a type parameter, so that a kernel is written once and the JIT
/// specialises it for 16 lanes (<see cref="Lanes16"/>, AVX-512) or 8 (<see cref="Lanes8"/>, AVX2):
/// calls through a struct's static abstract members are resolved and inlined at compile time.
/// Both widths run the same operations lane by lane, so they give the same bits.
/// </summary>
internal unsafe interface IFloatLanes<TV> where TV : struct
{
    static abstract int Count { get; }
    static abstract TV Load(float* p);
    static abstract void Store(float* p, TV v);
    static abstract TV Splat(float x);
    /// <summary>a * b + c with one rounding.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);
    static abstract TV Add(TV a, TV b);
    static abstract TV Subtract(TV a, TV b);
    static abstract TV Multiply(TV a, TV b);
    static abstract TV Divide(TV a, TV b);
    static abstract TV Min(TV a, TV b);
    static abstract TV Max(TV a, TV b);
    static abstract TV Floor(TV x);
    static abstract TV Abs(TV x);
    /// <summary>All bits set in lanes where a &lt; b.</summary>
    static abstract TV LessThan(TV a, TV b);
    /// <summary>Bits of <paramref name="whereSet"/> where <paramref name="mask"/>'s bits are set, else of <paramref name="otherwise"/>.</summary>
    static abstract TV Select(TV mask, TV whereSet, TV otherwise);
    static abstract TV Negate(TV x);
    /// <summary>p * 2^n for integral n in [-127, 128]: two exponent-bit factors applied one after the other, so that n = 128 does not overflow on the way.</summary>
    static abstract TV ScaleByPowerOfTwo(TV p, TV n);
}

/// <summary>16 floats in a <see cref="Vector512{T}"/>.</summary>
internal readonly unsafe struct Lanes16 : IFloatLanes<Vector512<float>>
{
    public static int Count => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Floor(Vector512<float> x) => Vector512.Floor(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> x) => Vector512.Abs(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<float> mask, Vector512<float> whereSet, Vector512<float> otherwise) => Vector512.ConditionalSelect(mask, whereSet, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Negate(Vector512<float> x) => -x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ScaleByPowerOfTwo(Vector512<float> p, Vector512<float> n)
    {
        var ni = Vector512.ConvertToInt32(n);
        var half = ni >> 1;
        var first = (half + Vector512.Create(127)) << 23;
        var second = (ni - half + Vector512.Create(127)) << 23;
        return p * first.AsSingle() * second.AsSingle();
    }
}

/// <summary>8 floats in a <see cref="Vector256{T}"/>.</summary>
internal readonly unsafe struct Lanes8 : IFloatLanes<Vector256<float>>
{
    public static int Count => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Floor(Vector256<float> x) => Vector256.Floor(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> x) => Vector256.Abs(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> mask, Vector256<float> whereSet, Vector256<float> otherwise) => Vector256.ConditionalSelect(mask, whereSet, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Negate(Vector256<float> x) => -x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ScaleByPowerOfTwo(Vector256<float> p, Vector256<float> n)
    {
        var ni = Vector256.ConvertToInt32(n);
        var half = ni >> 1;
        var first = (half + Vector256.Create(127)) << 23;
        var second = (ni - half + Vector256.Create(127)) << 23;
        return p * first.AsSingle() * second.AsSingle();
    }
}
