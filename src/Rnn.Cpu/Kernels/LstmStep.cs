using System.Runtime.CompilerServices;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// One LSTM time step (no projection) for a tile of up to four batch rows and one panel of U
/// hidden units, float32, fused: the accumulators start at b_ih + b_hh, take x(t) W_ih^T and then
/// h(t-1) W_hh^T (<see cref="GatePanels"/> layout: i, f, g, o vectors per k), and the cell update
/// runs on them in registers: i = σ(.. [+ w_ci ⊙ c(t-1)]), f likewise, g = tanh(..),
/// c(t) = f ⊙ c(t-1) + i ⊙ g, o = σ(.. [+ w_co ⊙ c(t)]), h(t) = o ⊙ tanh(c(t)).
/// </summary>
/// <remarks>
/// Each row's sums run in the same order (bias, then k ascending over x, then over h) whatever
/// tile or thread computes it, so results do not depend on the thread count. The sums over x may
/// also be computed ahead for every step (<see cref="StepPointers.InputSums"/>) and the step
/// continue from them: a float32 store and load is exact, so the bits are the same either way. With four rows and
/// 16 lanes the tile holds 16 zmm accumulators; per k it loads 4 weight vectors and broadcasts 4
/// inputs for 16 FMAs. Vector slots: 0-3 the biases of i, f, g, o; 4-6 the peepholes w_ci, w_cf, w_co.
/// </remarks>
internal static unsafe class LstmStep
{
    public const int VectorSlots = 7;

    /// <summary>Rows [row0, row0 + rows) of panel p: the sums, then each row's cell update.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TV, TL, TR>(GatePanels panels, int p, in StepPointers s, int row0, bool peepholes)
        where TV : struct where TL : IFloatLanes<TV> where TR : IRowCount
    {
        int state = panels.StateSize, u = TL.Count;
        var h = s.HPrev + (long)row0 * state;
        var hSize = s.HPrevIsZero ? 0 : state;
        if (s.InputSums == null)
            Accumulate<TV, TL, TR>(panels.Panel(p), panels.Vectors(p), 0, s.X + (long)row0 * s.LdX, s.LdX, panels.InputSize, h, state, hSize, s.Sums);
        else
            Accumulate<TV, TL, TR>(panels.Panel(p) + (long)panels.InputSize * panels.Gates * u, s.InputSums + p * s.InputSumsPanelStride + row0 * 4 * u, 4 * u,
                null, 0, 0, h, state, hSize, s.Sums);
        for (var r = 0; r < TR.Rows; r++)
        {
            var sums = s.Sums + r * 4 * u;
            Finish<TV, TL>(TL.Load(sums), TL.Load(sums + u), TL.Load(sums + 2 * u), TL.Load(sums + 3 * u), panels, p, s, row0 + r, peepholes);
        }
    }

    /// <summary>
    /// sums[r][gate] = init[r][gate] + x[r] · W_ih[gate]^T + h[r] · W_hh[gate]^T for the panel's units,
    /// rows r &lt; TR.Rows of x (stride ldx) and h (stride ldh); init[r] is at init + r * ldInit (the
    /// biases with ldInit 0, or a row's own sums over x with inputSize 0 and w at the hidden part). No calls while the accumulators
    /// live: vector registers do not survive calls, so the JIT would keep them in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Accumulate<TV, TL, TR>(float* w, float* init, int ldInit, float* x, int ldx, int inputSize, float* h, int ldh, int stateSize, float* sums)
        where TV : struct where TL : IFloatLanes<TV> where TR : IRowCount
    {
        // Row r starts from init + r * ldInit: the biases (ldInit 0) or its own partial sums.
        var (i0, f0, g0, o0) = PartialLanes.LoadFour<TV, TL>(init);
        TV i1 = default, f1 = default, g1 = default, o1 = default, i2 = default, f2 = default, g2 = default, o2 = default;
        TV i3 = default, f3 = default, g3 = default, o3 = default;
        if (TR.Rows > 1) (i1, f1, g1, o1) = PartialLanes.LoadFour<TV, TL>(init + ldInit);
        if (TR.Rows > 2) (i2, f2, g2, o2) = PartialLanes.LoadFour<TV, TL>(init + 2 * ldInit);
        if (TR.Rows > 3) (i3, f3, g3, o3) = PartialLanes.LoadFour<TV, TL>(init + 3 * ldInit);
        var u = TL.Count;
        float* a0 = x, a1 = a0 + ldx, a2 = a1 + ldx, a3 = a2 + ldx;
        for (var k = 0; k < inputSize; k++, w += 4 * u)
        {
            TV wi = TL.Load(w), wf = TL.Load(w + u), wg = TL.Load(w + 2 * u), wo = TL.Load(w + 3 * u);
            var a = TL.Splat(a0[k]);
            i0 = TL.MultiplyAdd(a, wi, i0);
            f0 = TL.MultiplyAdd(a, wf, f0);
            g0 = TL.MultiplyAdd(a, wg, g0);
            o0 = TL.MultiplyAdd(a, wo, o0);
            if (TR.Rows > 1)
            {
                a = TL.Splat(a1[k]);
                i1 = TL.MultiplyAdd(a, wi, i1);
                f1 = TL.MultiplyAdd(a, wf, f1);
                g1 = TL.MultiplyAdd(a, wg, g1);
                o1 = TL.MultiplyAdd(a, wo, o1);
            }
            if (TR.Rows > 2)
            {
                a = TL.Splat(a2[k]);
                i2 = TL.MultiplyAdd(a, wi, i2);
                f2 = TL.MultiplyAdd(a, wf, f2);
                g2 = TL.MultiplyAdd(a, wg, g2);
                o2 = TL.MultiplyAdd(a, wo, o2);
            }
            if (TR.Rows > 3)
            {
                a = TL.Splat(a3[k]);
                i3 = TL.MultiplyAdd(a, wi, i3);
                f3 = TL.MultiplyAdd(a, wf, f3);
                g3 = TL.MultiplyAdd(a, wg, g3);
                o3 = TL.MultiplyAdd(a, wo, o3);
            }
        }
        a0 = h;
        a1 = a0 + ldh;
        a2 = a1 + ldh;
        a3 = a2 + ldh;
        for (var k = 0; k < stateSize; k++, w += 4 * u)
        {
            TV wi = TL.Load(w), wf = TL.Load(w + u), wg = TL.Load(w + 2 * u), wo = TL.Load(w + 3 * u);
            var a = TL.Splat(a0[k]);
            i0 = TL.MultiplyAdd(a, wi, i0);
            f0 = TL.MultiplyAdd(a, wf, f0);
            g0 = TL.MultiplyAdd(a, wg, g0);
            o0 = TL.MultiplyAdd(a, wo, o0);
            if (TR.Rows > 1)
            {
                a = TL.Splat(a1[k]);
                i1 = TL.MultiplyAdd(a, wi, i1);
                f1 = TL.MultiplyAdd(a, wf, f1);
                g1 = TL.MultiplyAdd(a, wg, g1);
                o1 = TL.MultiplyAdd(a, wo, o1);
            }
            if (TR.Rows > 2)
            {
                a = TL.Splat(a2[k]);
                i2 = TL.MultiplyAdd(a, wi, i2);
                f2 = TL.MultiplyAdd(a, wf, f2);
                g2 = TL.MultiplyAdd(a, wg, g2);
                o2 = TL.MultiplyAdd(a, wo, o2);
            }
            if (TR.Rows > 3)
            {
                a = TL.Splat(a3[k]);
                i3 = TL.MultiplyAdd(a, wi, i3);
                f3 = TL.MultiplyAdd(a, wf, f3);
                g3 = TL.MultiplyAdd(a, wg, g3);
                o3 = TL.MultiplyAdd(a, wo, o3);
            }
        }
        PartialLanes.StoreFour<TV, TL>(sums, i0, f0, g0, o0);
        if (TR.Rows > 1) PartialLanes.StoreFour<TV, TL>(sums + 4 * u, i1, f1, g1, o1);
        if (TR.Rows > 2) PartialLanes.StoreFour<TV, TL>(sums + 8 * u, i2, f2, g2, o2);
        if (TR.Rows > 3) PartialLanes.StoreFour<TV, TL>(sums + 12 * u, i3, f3, g3, o3);
    }


    /// <summary>The cell update of row b for the panel's units, from the gate pre-activations.</summary>
    // Kernels skip the JIT's tiers: a forward runs them a few hundred thousand times and then stops.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Finish<TV, TL>(TV i, TV f, TV g, TV o, GatePanels panels, int p, in StepPointers s, int b, bool peepholes)
        where TV : struct where TL : IFloatLanes<TV>
    {
        int u = TL.Count, hidden = panels.Hidden, u0 = p * u, n = Math.Min(u, hidden - u0);
        var row = (long)b * hidden + u0;
        var y = s.Y + (long)b * s.LdY + u0;
        var gates = s.Gates == null ? null : s.Gates + (long)b * 4 * hidden + u0;
        if (!s.IsActive(b))
        {
            // Past the sequence's end: the state carries through, the output and gates are zero.
            PartialLanes.Copy(s.HPrev + row, s.HOut + row, n);
            PartialLanes.Copy(s.CPrev + row, s.COut + row, n);
            PartialLanes.Clear(y, n);
            if (gates != null)
            {
                for (var gate = 0; gate < 4; gate++) PartialLanes.Clear(gates + gate * hidden, n);
            }
            return;
        }
        var cPrev = PartialLanes.Load<TV, TL>(s.CPrev + row, n, s.Scratch);
        var vectors = panels.Vectors(p);
        if (peepholes)
        {
            i = TL.MultiplyAdd(TL.Load(vectors + 4 * u), cPrev, i);
            f = TL.MultiplyAdd(TL.Load(vectors + 5 * u), cPrev, f);
        }
        i = VectorMath.Sigmoid<TV, TL>(i);
        f = VectorMath.Sigmoid<TV, TL>(f);
        g = VectorMath.Tanh<TV, TL>(g);
        var c = TL.MultiplyAdd(f, cPrev, TL.Multiply(i, g));
        if (peepholes) o = TL.MultiplyAdd(TL.Load(vectors + 6 * u), c, o);
        o = VectorMath.Sigmoid<TV, TL>(o);
        var h = TL.Multiply(o, VectorMath.Tanh<TV, TL>(c));
        PartialLanes.Store<TV, TL>(s.COut + row, c, n, s.Scratch);
        PartialLanes.Store<TV, TL>(s.HOut + row, h, n, s.Scratch);
        PartialLanes.Store<TV, TL>(y, h, n, s.Scratch);
        if (gates != null)
        {
            PartialLanes.Store<TV, TL>(gates, i, n, s.Scratch);
            PartialLanes.Store<TV, TL>(gates + hidden, f, n, s.Scratch);
            PartialLanes.Store<TV, TL>(gates + 2 * hidden, g, n, s.Scratch);
            PartialLanes.Store<TV, TL>(gates + 3 * hidden, o, n, s.Scratch);
        }
    }
}
