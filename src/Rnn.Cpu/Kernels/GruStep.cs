using System.Runtime.CompilerServices;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// One GRU time step with the reset applied after the hidden product (PyTorch, cuDNN) for a tile
/// of up to four batch rows and one panel of U hidden units, float32, fused. The panel holds r, z,
/// n vectors per k (<see cref="GatePanels"/>); r and z sum over x and h together, while n keeps
/// its two halves apart because the reset multiplies only the hidden one:
/// r = σ(W_ir x + W_hr h + b_r), z = σ(W_iz x + W_hz h + b_z),
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h(t) = (1 - z) ⊙ n + z ⊙ h(t-1).
/// </summary>
/// <remarks>
/// Four accumulators per row (r, z, n from x, n from h), so four rows fill 16 registers as in
/// <see cref="LstmStep"/>, with 3 weight loads and 12 FMAs per k. Vector slots: 0 b_ir + b_hr,
/// 1 b_iz + b_hz, 2 b_in, 3 b_hn. With a reserve, Gates keeps r, z, n and Extra keeps W_hn h + b_hn.
/// </remarks>
internal static unsafe class GruStep
{
    public const int VectorSlots = 4;

    /// <summary>Rows [row0, row0 + rows) of panel p: the sums, then each row's update.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TV, TL, TR>(GatePanels panels, int p, in StepPointers s, int row0)
        where TV : struct where TL : IFloatLanes<TV> where TR : IRowCount
    {
        StepSums.Tile<TV, TL, TR, GruGates>(panels, p, s, row0);
        var u = TL.Count;
        for (var r = 0; r < TR.Rows; r++)
        {
            var sums = s.Sums + r * 4 * u;
            Finish<TV, TL>(TL.Load(sums), TL.Load(sums + u), TL.Load(sums + 2 * u), TL.Load(sums + 3 * u), panels, p, s, row0 + r);
        }
    }

    /// <summary>The gate nonlinearities and the state update of row b for the panel's units.</summary>
    // Kernels skip the JIT's tiers: a forward runs them a few hundred thousand times and then stops.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Finish<TV, TL>(TV r, TV z, TV nFromX, TV nFromH, GatePanels panels, int p, in StepPointers s, int b)
        where TV : struct where TL : IFloatLanes<TV>
    {
        int u = TL.Count, hidden = panels.Hidden, u0 = p * u, n = Math.Min(u, hidden - u0);
        var row = (long)b * hidden + u0;
        var y = s.Y + (long)b * s.LdY + u0;
        var gates = s.Gates == null ? null : s.Gates + (long)b * 3 * hidden + u0;
        var extra = s.Extra == null ? null : s.Extra + row;
        if (!s.IsActive(b))
        {
            // Past the sequence's end: the state carries through, the output and the reserve are zero.
            PartialLanes.Copy(s.HPrev + row, s.HOut + row, n);
            PartialLanes.Clear(y, n);
            if (gates != null)
            {
                for (var gate = 0; gate < 3; gate++) PartialLanes.Clear(gates + gate * hidden, n);
                PartialLanes.Clear(extra, n);
            }
            return;
        }
        var hPrev = PartialLanes.Load<TV, TL>(s.HPrev + row, n, s.Scratch);
        r = VectorMath.Sigmoid<TV, TL>(r);
        z = VectorMath.Sigmoid<TV, TL>(z);
        var candidate = VectorMath.Tanh<TV, TL>(TL.MultiplyAdd(r, nFromH, nFromX));
        var h = TL.MultiplyAdd(z, hPrev, TL.Multiply(TL.Subtract(TL.Splat(1f), z), candidate));
        PartialLanes.Store<TV, TL>(s.HOut + row, h, n, s.Scratch);
        PartialLanes.Store<TV, TL>(y, h, n, s.Scratch);
        if (gates != null)
        {
            PartialLanes.StoreThree<TV, TL>(gates, hidden, r, z, candidate, n, s.Scratch);
            PartialLanes.Store<TV, TL>(extra, nFromH, n, s.Scratch);
        }
    }
}
