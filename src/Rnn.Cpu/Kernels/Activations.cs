using System.Numerics;
using System.Runtime.CompilerServices;

namespace GpuRnn.Cpu.Kernels;

/// <summary>The gate nonlinearities, written once for float32 and float64.</summary>
internal static class Activations
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid<T>(T x) where T : IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh<T>(T x) where T : IFloatingPointIeee754<T> => T.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Relu<T>(T x) where T : IFloatingPointIeee754<T> => x > T.Zero ? x : T.Zero;
}
