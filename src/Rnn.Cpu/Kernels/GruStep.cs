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
            Finish<TV, TL>(TL.Load(sums), TL.Load(sums + u), TL.Load(sums + 2 * u), TL.Load(sums + 3 * u), panels, p, s, row0 + r);
        }
    }

    /// <summary>
    /// sums[r] = (r, z, n from x, n from h) for rows r &lt; TR.Rows of x (stride ldx) and h (stride
    /// ldh), starting from init + r * ldInit: the biases (ldInit 0) or, as in <see cref="LstmStep"/>,
    /// a row's own sums over x computed ahead (inputSize 0, w at the hidden part). No calls while the accumulators live (see <see cref="LstmStep"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Accumulate<TV, TL, TR>(float* w, float* init, int ldInit, float* x, int ldx, int inputSize, float* h, int ldh, int stateSize, float* sums)
        where TV : struct where TL : IFloatLanes<TV> where TR : IRowCount
    {
        // Row r starts from init + r * ldInit: the biases (ldInit 0) or its own partial sums.
        var (r0, z0, x0, n0) = PartialLanes.LoadFour<TV, TL>(init);
        TV r1 = default, z1 = default, x1 = default, n1 = default, r2 = default, z2 = default, x2 = default, n2 = default;
        TV r3 = default, z3 = default, x3 = default, n3 = default;
        if (TR.Rows > 1) (r1, z1, x1, n1) = PartialLanes.LoadFour<TV, TL>(init + ldInit);
        if (TR.Rows > 2) (r2, z2, x2, n2) = PartialLanes.LoadFour<TV, TL>(init + 2 * ldInit);
        if (TR.Rows > 3) (r3, z3, x3, n3) = PartialLanes.LoadFour<TV, TL>(init + 3 * ldInit);
        var u = TL.Count;
        float* a0 = x, a1 = a0 + ldx, a2 = a1 + ldx, a3 = a2 + ldx;
        for (var k = 0; k < inputSize; k++, w += 3 * u)
        {
            TV wr = TL.Load(w), wz = TL.Load(w + u), wn = TL.Load(w + 2 * u);
            var a = TL.Splat(a0[k]);
            r0 = TL.MultiplyAdd(a, wr, r0);
            z0 = TL.MultiplyAdd(a, wz, z0);
            x0 = TL.MultiplyAdd(a, wn, x0);
            if (TR.Rows > 1)
            {
                a = TL.Splat(a1[k]);
                r1 = TL.MultiplyAdd(a, wr, r1);
                z1 = TL.MultiplyAdd(a, wz, z1);
                x1 = TL.MultiplyAdd(a, wn, x1);
            }
            if (TR.Rows > 2)
            {
                a = TL.Splat(a2[k]);
                r2 = TL.MultiplyAdd(a, wr, r2);
                z2 = TL.MultiplyAdd(a, wz, z2);
                x2 = TL.MultiplyAdd(a, wn, x2);
            }
            if (TR.Rows > 3)
            {
                a = TL.Splat(a3[k]);
                r3 = TL.MultiplyAdd(a, wr, r3);
                z3 = TL.MultiplyAdd(a, wz, z3);
                x3 = TL.MultiplyAdd(a, wn, x3);
            }
        }
        a0 = h;
        a1 = a0 + ldh;
        a2 = a1 + ldh;
        a3 = a2 + ldh;
        for (var k = 0; k < stateSize; k++, w += 3 * u)
        {
            TV wr = TL.Load(w), wz = TL.Load(w + u), wn = TL.Load(w + 2 * u);
            var a = TL.Splat(a0[k]);
            r0 = TL.MultiplyAdd(a, wr, r0);
            z0 = TL.MultiplyAdd(a, wz, z0);
            n0 = TL.MultiplyAdd(a, wn, n0);
            if (TR.Rows > 1)
            {
                a = TL.Splat(a1[k]);
                r1 = TL.MultiplyAdd(a, wr, r1);
                z1 = TL.MultiplyAdd(a, wz, z1);
                n1 = TL.MultiplyAdd(a, wn, n1);
            }
            if (TR.Rows > 2)
            {
                a = TL.Splat(a2[k]);
                r2 = TL.MultiplyAdd(a, wr, r2);
                z2 = TL.MultiplyAdd(a, wz, z2);
                n2 = TL.MultiplyAdd(a, wn, n2);
            }
            if (TR.Rows > 3)
            {
                a = TL.Splat(a3[k]);
                r3 = TL.MultiplyAdd(a, wr, r3);
                z3 = TL.MultiplyAdd(a, wz, z3);
                n3 = TL.MultiplyAdd(a, wn, n3);
            }
        }
        PartialLanes.StoreFour<TV, TL>(sums, r0, z0, x0, n0);
        if (TR.Rows > 1) PartialLanes.StoreFour<TV, TL>(sums + 4 * u, r1, z1, x1, n1);
        if (TR.Rows > 2) PartialLanes.StoreFour<TV, TL>(sums + 8 * u, r2, z2, x2, n2);
        if (TR.Rows > 3) PartialLanes.StoreFour<TV, TL>(sums + 12 * u, r3, z3, x3, n3);
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
            PartialLanes.Store<TV, TL>(gates, r, n, s.Scratch);
            PartialLanes.Store<TV, TL>(gates + hidden, z, n, s.Scratch);
            PartialLanes.Store<TV, TL>(gates + 2 * hidden, candidate, n, s.Scratch);
            PartialLanes.Store<TV, TL>(extra, nFromH, n, s.Scratch);
        }
    }
}
