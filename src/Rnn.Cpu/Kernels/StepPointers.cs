using System.Runtime.CompilerServices;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// Where one time step of a fused forward reads and writes, for one direction. Every block is
/// [B, width] row-major: row b of X starts at X + b * LdX, of HPrev/HOut at + b * P, of
/// CPrev/COut/Extra at + b * H, of Gates at + b * G * H, of Y at + b * LdY (already offset to
/// this direction's columns). Gates and Extra are null when the forward keeps no reserve.
/// </summary>
internal unsafe struct StepPointers
{
    public float* X;
    public int LdX;
    public float* HPrev;
    /// <summary>Whether HPrev is all zeros (the first step without h0), so its product can be skipped.</summary>
    public bool HPrevIsZero;
    public float* HOut;
    public float* CPrev;
    public float* COut;
    public float* Y;
    public int LdY;
    public float* Gates;
    public float* Extra;
    /// <summary>
    /// Null when the kernel sums over x itself; else this step's sums over x, biases included,
    /// computed ahead for every step: row b of panel p at InputSums + p * InputSumsPanelStride + b * 4U.
    /// </summary>
    public float* InputSums;
    public long InputSumsPanelStride;
    /// <summary>Per-sequence lengths, or null when every sequence runs all T steps.</summary>
    public int* Lengths;
    /// <summary>The time index t of this step.</summary>
    public int Time;
    /// <summary>One vector of scratch for partial panels (U floats), private to the worker.</summary>
    public float* Scratch;
    /// <summary>A tile's sums before the cell update: [4 rows][4 accumulators][U], private to the worker.</summary>
    public float* Sums;

    /// <summary>Whether sequence b takes part in this step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool IsActive(int b) => Lengths == null || Time < Lengths[b];
}

/// <summary>How many rows a tile kernel handles, as a type, so unused accumulators vanish at JIT time.</summary>
internal interface IRowCount
{
    static abstract int Rows { get; }
}

internal readonly struct OneRow : IRowCount { public static int Rows => 1; }
internal readonly struct TwoRows : IRowCount { public static int Rows => 2; }
internal readonly struct ThreeRows : IRowCount { public static int Rows => 3; }
internal readonly struct FourRows : IRowCount { public static int Rows => 4; }

/// <summary>Loads and stores of the first n lanes of a vector, through scratch when n is short of a whole vector.</summary>
internal static unsafe class PartialLanes
{
    /// <summary>Four consecutive whole vectors from p: a row's four accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TV, TV, TV, TV) LoadFour<TV, TL>(float* p) where TV : struct where TL : IFloatLanes<TV>
    {
        var u = TL.Count;
        return (TL.Load(p), TL.Load(p + u), TL.Load(p + 2 * u), TL.Load(p + 3 * u));
    }

    /// <summary>Four whole vectors to p, consecutively: a row's four accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFour<TV, TL>(float* p, TV a, TV b, TV c, TV d) where TV : struct where TL : IFloatLanes<TV>
    {
        var u = TL.Count;
        TL.Store(p, a);
        TL.Store(p + u, b);
        TL.Store(p + 2 * u, c);
        TL.Store(p + 3 * u, d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TV, TL>(float* p, int n, float* scratch) where TV : struct where TL : IFloatLanes<TV>
    {
        if (n == TL.Count) return TL.Load(p);
        for (var j = 0; j < TL.Count; j++) scratch[j] = j < n ? p[j] : 0;
        return TL.Load(scratch);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<TV, TL>(float* p, TV v, int n, float* scratch) where TV : struct where TL : IFloatLanes<TV>
    {
        if (n == TL.Count)
        {
            TL.Store(p, v);
            return;
        }
        TL.Store(scratch, v);
        for (var j = 0; j < n; j++) p[j] = scratch[j];
    }

    /// <summary>The first n lanes of three gate blocks, at p, p + stride and p + 2 * stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TV, TV, TV) LoadThree<TV, TL>(float* p, long stride, int n, float* scratch) where TV : struct where TL : IFloatLanes<TV> =>
        (Load<TV, TL>(p, n, scratch), Load<TV, TL>(p + stride, n, scratch), Load<TV, TL>(p + 2 * stride, n, scratch));

    /// <summary>The first n lanes of a, b, c to three gate blocks, at p, p + stride and p + 2 * stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreThree<TV, TL>(float* p, long stride, TV a, TV b, TV c, int n, float* scratch) where TV : struct where TL : IFloatLanes<TV>
    {
        Store<TV, TL>(p, a, n, scratch);
        Store<TV, TL>(p + stride, b, n, scratch);
        Store<TV, TL>(p + 2 * stride, c, n, scratch);
    }

    public static void Copy(float* from, float* to, int n)
    {
        for (var j = 0; j < n; j++) to[j] = from[j];
    }

    public static void Clear(float* p, int n)
    {
        for (var j = 0; j < n; j++) p[j] = 0;
    }
}
