using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// LSTM with cell options, one step, one group per batch row (CPU twin: <c>src/Rnn.Cpu/Rnn/CellOptionsLstm.cs</c>).
/// Layer norm's mean and variance of the two product rows come from their GEMMs' partial statistics
/// (<see cref="GemmPartials"/>, combined by <see cref="CellRowNorm.Moments"/>), so the row is read once:
/// a = LN_ih(W_ih x) + LN_hh(W_hh h) + b_ih + b_hh (or the plain sum), i, f, g with peepholes on c(t-1), c~ = clip(f c(t-1) + i g, -k, k),
/// o = σ(a_o [+ w_co c~]), m = o tanh(LN_cell(c~)) (or tanh c~); then zoneout c(t) = zone(c(t-1), c~)
/// and, without a projection, h(t) = zone(h(t-1), m) (with one, <see cref="ProjectedState"/> after W_hr m).
/// W_ih x (all steps) and W_hh h(t-1) come from GEMMs before the launch; LN_cell's statistics are group sums
/// (c~ is made here).
/// </summary>
internal static class CellOptionsLstm
{
    [Kernel]
    public static void Forward(CellOptionsStepArgs a)
    {
        var v = a.Views;
        int s = a.S, t = a.T, batch = v.Batch, h = v.Hidden, g4 = 4 * h;
        var shared = SharedMemory.Allocate<float>(LaunchShapes.GroupSize + 1);
        var r = new StepRow(a, g4);
        int b = r.B, row = r.Row, y = r.Output;
        ArrayView<float> hPrev = r.HPrev, hNext = r.HNext, ax = r.Ax, ah = r.Ah;
        var cPrev = v.Cells.SubView((long)(v.Slots.Previous(s, t) * batch + b) * h, h);
        var cNext = v.Cells.SubView((long)(v.Slots.Output(s, t) * batch + b) * h, h);
        if (!r.Active)
        {
            r.KeepState(a);
            for (var j = Group.IdxX; j < h; j += Group.DimX) cNext[j] = cPrev[j];
            return;
        }
        var ln = v.LayerNorm != 0;
        RowMoments mx = default, mh = default;
        if (ln) CellRowNorm.ProductMoments(v, row, b, out mx, out mh);
        var gates = v.Gates.SubView((long)row * g4, g4);
        var k = v.CellClip;
        for (var j = Group.IdxX; j < h; j += Group.DimX)
        {
            var cp = cPrev[j];
            var preI = Pre(v, ax, ah, j, mx, mh);
            var preF = Pre(v, ax, ah, h + j, mx, mh);
            if (v.Peepholes != 0)
            {
                preI += v.PeepI[j] * cp;
                preF += v.PeepF[j] * cp;
            }
            var i = GpuMath.Sigmoid(preI);
            var f = GpuMath.Sigmoid(preF);
            var g = GpuMath.Tanh(Pre(v, ax, ah, 2 * h + j, mx, mh));
            var raw = f * cp + i * g;
            var cell = v.Clip != 0 ? (raw < -k ? -k : raw > k ? k : raw) : raw;
            gates[j] = i;
            gates[h + j] = f;
            gates[2 * h + j] = g;
            // o's pre-activation for now: the loop below needs the normalised cell first.
            gates[3 * h + j] = Pre(v, ax, ah, 3 * h + j, mx, mh) + (v.Peepholes != 0 ? v.PeepO[j] * cell : 0f);
            v.CellRaw[row * h + j] = raw;
            v.CellClipped[row * h + j] = cell;
            if (ln) v.CellHat[row * h + j] = cell;
        }
        Group.Barrier();
        if (ln)
        {
            var rc = CellRowNorm.Normalize(v.CellHat.SubView((long)row * h, h), h, shared);
            if (Group.IdxX == 0) v.Stats[row * 3 + 2] = rc;
        }
        for (var j = Group.IdxX; j < h; j += Group.DimX)
        {
            var cell = v.CellClipped[row * h + j];
            var tc = GpuMath.Tanh(ln ? v.LnCellWeight[j] * v.CellHat[row * h + j] + v.LnCellBias[j] : cell);
            var o = GpuMath.Sigmoid(gates[3 * h + j]);
            gates[3 * h + j] = o;
            v.TanhCell[row * h + j] = tc;
            var m = o * tc;
            cNext[j] = v.Zoneout.ZoneC(cPrev[j], cell, v.Zoneout.KeepC(t, b, j));
            if (v.Projection != 0) v.Extra[row * h + j] = m;
            else
            {
                var hv = v.Zoneout.ZoneH(hPrev[j], m, v.Zoneout.KeepH(t, b, j));
                hNext[j] = hv;
                a.Output[y + j] = hv;
            }
        }
    }

    /// <summary>With a projection: h(t) = zone(h(t-1), W_hr m), one thread per (b, j) of [B, P]; Next holds W_hr m.</summary>
    [Kernel]
    public static void ProjectedState(CellOptionsStepArgs a)
    {
        var v = a.Views;
        int s = a.S, t = a.T, batch = v.Batch, p = v.StateSize;
        for (var n = Grid.GlobalIndex.X; n < batch * p; n += Grid.DimX * Group.DimX)
        {
            int b = n / p, j = n - b * p;
            var prev = v.States[(v.Slots.Previous(s, t) * batch + b) * p + j];
            var y = (t * batch + b) * a.LdOutput + a.OutputOffset + j;
            var active = v.Mask.IsActive(t, b);
            var hv = active ? v.Zoneout.ZoneH(prev, a.Next[n], v.Zoneout.KeepH(t, b, j)) : prev;
            v.States[(v.Slots.Output(s, t) * batch + b) * p + j] = hv;
            a.Output[y] = active ? hv : 0f;
        }
    }

    /// <summary>
    /// Backward, first of the step: dh(t) = carry + dy(t) per (b, j) of [B, P]; the part that reaches the new
    /// h~ (not zoned out) goes to DNew [T, B, P], the kept part stays in the carry for h(t-1); a finished
    /// sequence passes the carry through.
    /// </summary>
    [Kernel]
    public static void StateGradient(CellOptionsGradArgs a)
    {
        var v = a.Views;
        int t = a.T, batch = v.Batch, p = v.StateSize;
        for (var n = Grid.GlobalIndex.X; n < batch * p; n += Grid.DimX * Group.DimX)
        {
            int b = n / p, j = n - b * p;
            var row = (t * batch + b) * p + j;
            if (!v.Mask.IsActive(t, b))
            {
                a.DNew[row] = 0f;
                continue;
            }
            var dh = a.StateCarry[n] + a.OutputGradient[(t * batch + b) * a.LdOutput + a.OutputOffset + j];
            var keep = v.Zoneout.KeepH(t, b, j);
            a.DNew[row] = keep ? 0f : dh;
            a.StateCarry[n] = keep ? dh : 0f;
        }
    }

    /// <summary>
    /// Backward of the cell, one group per row: from dm (DNew, or W_hr^T DNew with a projection) and the
    /// cell carry, the gate gradients Dg [T, B, 4H], the gradient at LN_cell's output DCell [T, B, H], and
    /// the gradients of the two products InputGrad and RecurrentGrad [T, B, 4H]; the carry becomes dc(t-1).
    /// </summary>
    [Kernel]
    public static void Backward(CellOptionsGradArgs a)
    {
        var v = a.Views;
        int s = a.S, t = a.T, batch = v.Batch, h = v.Hidden, p = v.StateSize, g4 = 4 * h;
        var shared = SharedMemory.Allocate<float>(LaunchShapes.GroupSize + 1);
        var r = new GradRow(a, g4);
        int b = r.B, row = r.Row;
        var dg = r.Dg;
        var dCell = a.DCell.SubView((long)row * h, h);
        if (!r.Active)
        {
            r.Zero(dCell);
            return;
        }
        var dm = v.Projection != 0 ? a.Dm.SubView((long)b * h, h) : a.DNew.SubView((long)row * p, p);
        var gates = v.Gates.SubView((long)row * g4, g4);
        var ln = v.LayerNorm != 0;
        var dCellIn = a.DCellIn.SubView((long)b * h, h);
        for (var j = Group.IdxX; j < h; j += Group.DimX)
        {
            var o = gates[3 * h + j];
            var tc = v.TanhCell[row * h + j];
            dg[3 * h + j] = dm[j] * tc * o * (1f - o);
            var d = dm[j] * o * (1f - tc * tc);
            dCell[j] = d;
            dCellIn[j] = ln ? d * v.LnCellWeight[j] : d;
        }
        Group.Barrier();
        if (ln) CellRowNorm.Backward(dCellIn, v.CellHat.SubView((long)row * h, h), v.Stats[row * 3 + 2], h, shared);
        var cPrev = v.Cells.SubView((long)(v.Slots.Previous(s, t) * batch + b) * h, h);
        var k = v.CellClip;
        for (var j = Group.IdxX; j < h; j += Group.DimX)
        {
            float i = gates[j], f = gates[h + j], g = gates[2 * h + j];
            var raw = v.CellRaw[row * h + j];
            var cp = cPrev[j];
            var keep = v.Zoneout.KeepC(t, b, j);
            var dc = a.CellCarry[b * h + j];
            var dClipped = (keep ? 0f : dc) + dCellIn[j];
            if (v.Peepholes != 0) dClipped += dg[3 * h + j] * v.PeepO[j];
            // The clip passes the gradient only where it did not bind.
            var dRaw = v.Clip == 0 || (raw > -k && raw < k) ? dClipped : 0f;
            var dI = dRaw * g * i * (1f - i);
            var dF = dRaw * cp * f * (1f - f);
            var dG = dRaw * i * (1f - g * g);
            var dcPrev = dRaw * f + (keep ? dc : 0f);
            if (v.Peepholes != 0) dcPrev += dI * v.PeepI[j] + dF * v.PeepF[j];
            a.CellCarry[b * h + j] = dcPrev;
            dg[j] = dI;
            dg[h + j] = dF;
            dg[2 * h + j] = dG;
        }
        Group.Barrier();
        CellRowNorm.ProductGradients(v, r, g4, dg, dg, shared);
    }

    /// <summary>
    /// The pre-activation q of the four gates before peepholes: normalised (or plain) products plus both biases.
    /// With layer norm it normalises element q of both products and writes x̂ back (each q is read once per step).
    /// </summary>
    private static float Pre(CellOptionsViews v, ArrayView<float> ax, ArrayView<float> ah, int q, RowMoments mx, RowMoments mh)
    {
        var pre = v.LayerNorm != 0
            ? v.LnIhWeight[q] * CellRowNorm.TakeHat(ax, q, mx) + v.LnIhBias[q] + v.LnHhWeight[q] * CellRowNorm.TakeHat(ah, q, mh) + v.LnHhBias[q]
            : ax[q] + ah[q];
        return v.HasBias != 0 ? pre + v.BiasIh[q] + v.BiasHh[q] : pre;
    }
}

/// <summary>One forward step (s, t) of a layer with cell options; Next is W_hr m [B, P] with a projection.</summary>
internal struct CellOptionsStepArgs
{
    public CellOptionsViews Views;
    public ArrayView<float> Output; // y [T, B, D*P]
    public ArrayView<float> Next;   // [B, P]
    public int S, T, LdOutput, OutputOffset;
}

/// <summary>One backward step (s, t) of a layer with cell options: carries, the step's gradients and where they go.</summary>
internal struct CellOptionsGradArgs
{
    public CellOptionsViews Views;
    public ArrayView<float> OutputGradient; // dy [T, B, D*P]
    public ArrayView<float> StateCarry;     // [B, P]: dL/dh(t) from later steps; becomes the part for h(t-1)
    public ArrayView<float> CellCarry;      // [B, H]: LSTM dL/dc(t); becomes dL/dc(t-1)
    public ArrayView<float> DNew;           // [T, B, P]: the gradient reaching h~ (LSTM)
    public ArrayView<float> Dm;             // [B, H]: W_hr^T DNew(t) with a projection
    public ArrayView<float> DCellIn;        // [B, H]: scratch, the gradient reaching c~ through LN_cell
    public ArrayView<float> DCell;          // [T, B, H]: the gradient at LN_cell's output (its gain's and bias's)
    public ArrayView<float> Dg;             // [T, B, G*H]: gate pre-activation gradients (LSTM; GRU the input side's)
    public ArrayView<float> DgHidden;       // [T, B, 3H]: GRU the recurrent side's (n block times r)
    public ArrayView<float> InputGrad;      // [T, B, G*H]: dL/d(W_ih x)
    public ArrayView<float> RecurrentGrad;  // [T, B, G*H]: dL/d(W_hh h(t-1))
    public int S, T, LdOutput, OutputOffset;
}
