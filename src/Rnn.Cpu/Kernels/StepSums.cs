using System.Runtime.CompilerServices;

namespace GpuRnn.Cpu.Kernels;

/// <summary>How a cell's panel holds the weights of one k, as a type, so that the sweep is specialised at JIT time.</summary>
internal interface IStepGates
{
    /// <summary>Weight vectors per k: 4 (LSTM i, f, g, o) or 3 (GRU r, z, n).</summary>
    static abstract int PerK { get; }

    /// <summary>
    /// Whether the third weight's products over h go to a fourth accumulator of their own, apart
    /// from its products over x (GRU n: the reset multiplies only the hidden half).
    /// </summary>
    static abstract bool SplitsThird { get; }
}

internal readonly struct LstmGates : IStepGates
{
    public static int PerK => 4;
    public static bool SplitsThird => false;
}

internal readonly struct GruGates : IStepGates
{
    public static int PerK => 3;
    public static bool SplitsThird => true;
}

/// <summary>
/// The gate sums of a fused time step (<see cref="LstmStep"/>, <see cref="GruStep"/>) for a tile
/// of up to four batch rows and one panel: four accumulators per row, 16 registers for four rows.
/// </summary>
internal static unsafe class StepSums
{
    /// <summary>Rows [row0, row0 + TR.Rows) of panel p into s.Sums, from the biases or from the step's sums over x computed ahead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile<TV, TL, TR, TG>(GatePanels panels, int p, in StepPointers s, int row0)
        where TV : struct where TL : IFloatLanes<TV> where TR : IRowCount where TG : IStepGates
    {
        int state = panels.StateSize, u = TL.Count;
        var h = s.HPrev + (long)row0 * state;
        var hSize = s.HPrevIsZero ? 0 : state;
        if (s.InputSums == null)
            Accumulate<TV, TL, TR, TG>(panels.Panel(p), panels.Vectors(p), 0, s.X + (long)row0 * s.LdX, s.LdX, panels.InputSize, h, state, hSize, s.Sums);
        else
            Accumulate<TV, TL, TR, TG>(panels.Panel(p) + (long)panels.InputSize * panels.Gates * u, s.InputSums + p * s.InputSumsPanelStride + row0 * 4 * u, 4 * u,
                null, 0, 0, h, state, hSize, s.Sums);
    }

    /// <summary>
    /// sums[r] = init[r] + x[r] · W_ih^T + h[r] · W_hh^T for the panel's units, rows r &lt; TR.Rows of
    /// x (stride ldx) and h (stride ldh), four accumulators a row (LSTM i, f, g, o; GRU r, z, n from
    /// x, n from h); init[r] is at init + r * ldInit (the biases with ldInit 0, or a row's own sums
    /// over x with inputSize 0 and w at the hidden part). No calls while the accumulators live (the
    /// helpers below are inlined): vector registers do not survive calls, so the JIT would keep them
    /// in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Accumulate<TV, TL, TR, TG>(float* w, float* init, int ldInit, float* x, int ldx, int inputSize, float* h, int ldh, int stateSize, float* sums)
        where TV : struct where TL : IFloatLanes<TV> where TR : IRowCount where TG : IStepGates
    {
        var (a0, b0, c0, d0) = PartialLanes.LoadFour<TV, TL>(init);
        TV a1 = default, b1 = default, c1 = default, d1 = default, a2 = default, b2 = default, c2 = default, d2 = default;
        TV a3 = default, b3 = default, c3 = default, d3 = default;
        if (TR.Rows > 1) (a1, b1, c1, d1) = PartialLanes.LoadFour<TV, TL>(init + ldInit);
        if (TR.Rows > 2) (a2, b2, c2, d2) = PartialLanes.LoadFour<TV, TL>(init + 2 * ldInit);
        if (TR.Rows > 3) (a3, b3, c3, d3) = PartialLanes.LoadFour<TV, TL>(init + 3 * ldInit);
        var u = TL.Count;
        // Over x, then over h, k ascending in each: every row in the same order, whatever tile or
        // thread computes it. GRU: the third weight's sums over h go to the fourth accumulator.
        Sweep<TV, TL, TR, TG>(ref w, x, ldx, inputSize, ref a0, ref b0, ref c0, ref d0, ref a1, ref b1, ref c1, ref d1,
            ref a2, ref b2, ref c2, ref d2, ref a3, ref b3, ref c3, ref d3);
        if (TG.SplitsThird)
            Sweep<TV, TL, TR, TG>(ref w, h, ldh, stateSize, ref a0, ref b0, ref d0, ref c0, ref a1, ref b1, ref d1, ref c1,
                ref a2, ref b2, ref d2, ref c2, ref a3, ref b3, ref d3, ref c3);
        else
            Sweep<TV, TL, TR, TG>(ref w, h, ldh, stateSize, ref a0, ref b0, ref c0, ref d0, ref a1, ref b1, ref c1, ref d1,
                ref a2, ref b2, ref c2, ref d2, ref a3, ref b3, ref c3, ref d3);
        PartialLanes.StoreFour<TV, TL>(sums, a0, b0, c0, d0);
        if (TR.Rows > 1) PartialLanes.StoreFour<TV, TL>(sums + 4 * u, a1, b1, c1, d1);
        if (TR.Rows > 2) PartialLanes.StoreFour<TV, TL>(sums + 8 * u, a2, b2, c2, d2);
        if (TR.Rows > 3) PartialLanes.StoreFour<TV, TL>(sums + 12 * u, a3, b3, c3, d3);
    }

    /// <summary>The accumulators after k in [0, count) of rows v0 + r * ld, w moving on by the weights of each k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sweep<TV, TL, TR, TG>(ref float* w, float* v0, int ld, int count, ref TV a0, ref TV b0, ref TV c0, ref TV d0,
        ref TV a1, ref TV b1, ref TV c1, ref TV d1, ref TV a2, ref TV b2, ref TV c2, ref TV d2, ref TV a3, ref TV b3, ref TV c3, ref TV d3)
        where TV : struct where TL : IFloatLanes<TV> where TR : IRowCount where TG : IStepGates
    {
        var u = TL.Count;
        float* v1 = v0 + ld, v2 = v1 + ld, v3 = v2 + ld;
        for (var k = 0; k < count; k++, w += TG.PerK * u)
        {
            TV wa = TL.Load(w), wb = TL.Load(w + u), wc = TL.Load(w + 2 * u), wd = TG.PerK == 4 ? TL.Load(w + 3 * u) : default;
            Row<TV, TL, TG>(TL.Splat(v0[k]), wa, wb, wc, wd, ref a0, ref b0, ref c0, ref d0);
            if (TR.Rows > 1) Row<TV, TL, TG>(TL.Splat(v1[k]), wa, wb, wc, wd, ref a1, ref b1, ref c1, ref d1);
            if (TR.Rows > 2) Row<TV, TL, TG>(TL.Splat(v2[k]), wa, wb, wc, wd, ref a2, ref b2, ref c2, ref d2);
            if (TR.Rows > 3) Row<TV, TL, TG>(TL.Splat(v3[k]), wa, wb, wc, wd, ref a3, ref b3, ref c3, ref d3);
        }
    }

    /// <summary>One row's accumulators after one k: each plus v times its weight vector (the fourth only with four weights a k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TV, TL, TG>(TV v, TV wa, TV wb, TV wc, TV wd, ref TV a, ref TV b, ref TV c, ref TV d)
        where TV : struct where TL : IFloatLanes<TV> where TG : IStepGates
    {
        a = TL.MultiplyAdd(v, wa, a);
        b = TL.MultiplyAdd(v, wb, b);
        c = TL.MultiplyAdd(v, wc, c);
        if (TG.PerK == 4) d = TL.MultiplyAdd(v, wd, d);
    }
}
