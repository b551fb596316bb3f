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
        StepSums.Tile<TV, TL, TR, LstmGates>(panels, p, s, row0);
        var u = TL.Count;
        for (var r = 0; r < TR.Rows; r++)
        {
            var sums = s.Sums + r * 4 * u;
            Finish<TV, TL>(TL.Load(sums), TL.Load(sums + u), TL.Load(sums + 2 * u), TL.Load(sums + 3 * u), panels, p, s, row0 + r, peepholes);
        }
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
            PartialLanes.StoreThree<TV, TL>(gates, hidden, i, f, g, n, s.Scratch);
            PartialLanes.Store<TV, TL>(gates + 3 * hidden, o, n, s.Scratch);
        }
    }
}
