using System.Numerics;
using GpuRnn.Cpu.Kernels;
using static GpuRnn.Cpu.Kernels.Activations;

namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// LSTM with cell options, one direction. With layer norm a = LN_ih(W_ih x) + LN_hh(W_hh h) + b_ih + b_hh,
/// else a = W_ih x + W_hh h + b_ih + b_hh; i, f, g, o as in <see cref="Kernels.LstmForward"/> (peepholes:
/// i and f see c(t-1), o sees the new clipped cell); c~ = clip(f * c(t-1) + i * g, -k, k);
/// m = o * tanh(LN_cell(c~)) (or tanh(c~)); h~ = m or W_hr m; then zoneout:
/// c(t) = zone(c(t-1), c~), h(t) = zone(h(t-1), h~) (Krueger et al.: h~ is made from the unzoned c~).
/// </summary>
internal static class CellOptionsLstm
{
    public static void Forward<T>(in DirectionWeights<T> w, CellOptionsState<T> st, in DirectionIO<T> io, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layer = st.Layer;
        int batch = st.Batch, h = layer.HiddenSize, p = layer.StateSize, g4 = 4 * h;
        bool ln = layer.LayerNorm, peep = layer.Peepholes, proj = layer.ProjSize > 0, clip = layer.CellClip > 0, bias = w.HasBias;
        T k = T.CreateChecked(layer.CellClip), zh = T.CreateChecked(layer.Zoneout), zc = T.CreateChecked(layer.ZoneoutCell);
        CellOptionsLayer<T>.InputProjection(w, st, io.X.Span);
        var recurrent = new T[batch * g4];
        var next = new T[batch * p];
        var pre = new T[g4];
        var cell = new T[h];
        var zeros = new T[batch * Math.Max(h, p)];
        w.Peepholes(out var wci, out var wcf, out var wco);

        for (var s = 0; s < st.Steps; s++)
        {
            var t = st.TimeAt(s);
            var hPrev = CellOptionsLayer<T>.PreviousH(st, io, s, zeros);
            var cPrev = CellOptionsLayer<T>.PreviousC(st, io, s, zeros);
            Gemm.Run(hPrev, false, w.WeightHh.Span, true, recurrent, batch, g4, p, T.One, T.Zero);
            for (var b = 0; b < batch; b++)
            {
                var cp = cPrev.Slice(b * h, h);
                if (!st.IsActive(t, b))
                {
                    hPrev.Slice(b * p, p).CopyTo(st.Row(st.H, t, b, p));
                    cp.CopyTo(st.Row(st.C, t, b, h));
                    continue;
                }
                var ax = st.Row(st.InputPre, t, b, g4);
                var ah = recurrent.AsSpan(b * g4, g4);
                if (ln)
                {
                    var hat = st.Row(st.RecurrentHat, t, b, g4);
                    st.InputRstd[t * batch + b] = RowNorm.Forward<T>(ax, ax);
                    st.RecurrentRstd[t * batch + b] = RowNorm.Forward<T>(ah, hat);
                    var gx = w.LnIhWeight.Span;
                    var bx = w.LnIhBias.Span;
                    var gh = w.LnHhWeight.Span;
                    var bh = w.LnHhBias.Span;
                    for (var j = 0; j < g4; j++) pre[j] = gx[j] * ax[j] + bx[j] + gh[j] * hat[j] + bh[j];
                }
                else
                {
                    for (var j = 0; j < g4; j++) pre[j] = ax[j] + ah[j];
                }
                if (bias)
                {
                    var bi = w.BiasIh.Span;
                    var bh = w.BiasHh.Span;
                    for (var j = 0; j < g4; j++) pre[j] += bi[j] + bh[j];
                }
                var gate = st.Row(st.Gates, t, b, g4);
                var raw = st.Row(st.CellRaw, t, b, h);
                for (var j = 0; j < h; j++)
                {
                    var i = Sigmoid(pre[j] + (peep ? wci[j] * cp[j] : T.Zero));
                    var f = Sigmoid(pre[h + j] + (peep ? wcf[j] * cp[j] : T.Zero));
                    var g = T.Tanh(pre[2 * h + j]);
                    (gate[j], gate[h + j], gate[2 * h + j]) = (i, f, g);
                    raw[j] = f * cp[j] + i * g;
                    cell[j] = clip ? T.Clamp(raw[j], -k, k) : raw[j];
                }
                var tanhCell = st.Row(st.TanhCell, t, b, h);
                if (ln)
                {
                    var hat = st.Row(st.CellHat, t, b, h);
                    st.CellRstd[t * batch + b] = RowNorm.Forward<T>(cell, hat);
                    var gc = w.LnCellWeight.Span;
                    var bc = w.LnCellBias.Span;
                    for (var j = 0; j < h; j++) tanhCell[j] = T.Tanh(gc[j] * hat[j] + bc[j]);
                }
                else
                {
                    for (var j = 0; j < h; j++) tanhCell[j] = T.Tanh(cell[j]);
                }
                var m = proj ? st.Row(st.M, t, b, h) : next.AsSpan(b * p, p);
                var c = st.Row(st.C, t, b, h);
                for (var j = 0; j < h; j++)
                {
                    var o = gate[3 * h + j] = Sigmoid(pre[3 * h + j] + (peep ? wco[j] * cell[j] : T.Zero));
                    m[j] = o * tanhCell[j];
                    c[j] = CellOptionsLayer<T>.Zone(cp[j], cell[j], zc, training, training && st.KeepC(t, b, j));
                }
            }
            if (proj) Gemm.Run<T>(st.M.AsSpan(t * batch * h, batch * h), false, w.WeightHr.Span, true, next, batch, p, h, T.One, T.Zero);
            for (var b = 0; b < batch; b++)
            {
                if (!st.IsActive(t, b)) continue;
                var hp = hPrev.Slice(b * p, p);
                var hOut = st.Row(st.H, t, b, p);
                for (var j = 0; j < p; j++)
                    hOut[j] = CellOptionsLayer<T>.Zone(hp[j], next[b * p + j], zh, training, training && st.KeepH(t, b, j));
            }
            CellOptionsLayer<T>.WriteOutput(st, io, t);
        }
    }

    /// <summary>BPTT; returns dL/d(W_ih x) [T*B, 4H] (zero rows where inactive).</summary>
    public static T[] Backward<T>(in DirectionWeights<T> w, in DirectionWeights<T> g, CellOptionsState<T> st,
        in DirectionIO<T> io, in DirectionGradIO<T> grad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layer = st.Layer;
        int steps = st.Steps, batch = st.Batch, h = layer.HiddenSize, p = layer.StateSize, g4 = 4 * h;
        bool ln = layer.LayerNorm, peep = layer.Peepholes, proj = layer.ProjSize > 0, clip = layer.CellClip > 0, bias = g.HasBias;
        T k = T.CreateChecked(layer.CellClip);
        var dPre = new T[steps * batch * g4];
        var dh = new T[batch * p];
        var dhNext = new T[batch * p];
        var dc = new T[batch * h];
        if (!grad.DHN.IsEmpty) grad.DHN.Span.CopyTo(dh);
        if (!grad.DCN.IsEmpty) grad.DCN.Span.CopyTo(dc);
        var dNew = new T[batch * p];
        var dNewAll = proj ? new T[steps * batch * p] : [];
        var dm = proj ? new T[batch * h] : dNew;
        var dRecurrent = new T[batch * g4];
        var dCell = new T[h];
        var dPreO = new T[h];
        var zeros = new T[batch * Math.Max(h, p)];
        w.Peepholes(out var wci, out var wcf, out var wco);
        g.Peepholes(out var gci, out var gcf, out var gco);

        for (var s = steps - 1; s >= 0; s--)
        {
            var t = st.TimeAt(s);
            var hPrev = CellOptionsLayer<T>.PreviousH(st, io, s, zeros);
            var cPrev = CellOptionsLayer<T>.PreviousC(st, io, s, zeros);
            CellOptionsLayer<T>.AddOutputGradient(st, grad, t, dh);
            // Zoneout of h: what reaches the new h~; the rest goes straight to h(t-1) below.
            for (var b = 0; b < batch; b++)
                for (var j = 0; j < p; j++)
                    dNew[b * p + j] = st.IsActive(t, b) && !st.KeepH(t, b, j) ? dh[b * p + j] : T.Zero;
            if (proj)
            {
                dNew.CopyTo(dNewAll.AsSpan(t * batch * p));
                Gemm.Run<T>(dNew, false, w.WeightHr.Span, false, dm, batch, h, p, T.One, T.Zero);
            }
            Array.Clear(dRecurrent);
            for (var b = 0; b < batch; b++)
            {
                if (!st.IsActive(t, b)) continue;
                var gate = st.Row(st.Gates, t, b, g4);
                var tanhCell = st.Row(st.TanhCell, t, b, h);
                var raw = st.Row(st.CellRaw, t, b, h);
                var cp = cPrev.Slice(b * h, h);
                var dmb = dm.AsSpan(b * h, h);
                var dcb = dc.AsSpan(b * h, h);
                for (var j = 0; j < h; j++)
                {
                    var o = gate[3 * h + j];
                    dPreO[j] = dmb[j] * tanhCell[j] * o * (T.One - o);
                    dCell[j] = dmb[j] * o * (T.One - tanhCell[j] * tanhCell[j]);
                }
                if (ln)
                {
                    CellOptionsLayer<T>.NormBackward(dCell, st.Row(st.CellHat, t, b, h), st.CellRstd[t * batch + b],
                        w.LnCellWeight.Span, g.LnCellWeight.Span, g.LnCellBias.Span);
                }
                var dg = dPre.AsSpan((t * batch + b) * g4, g4);
                for (var j = 0; j < h; j++)
                {
                    T i = gate[j], f = gate[h + j], gg = gate[2 * h + j];
                    var cell = clip ? T.Clamp(raw[j], -k, k) : raw[j];
                    var keep = st.KeepC(t, b, j);
                    var dClipped = (keep ? T.Zero : dcb[j]) + dCell[j];
                    if (peep)
                    {
                        dClipped += dPreO[j] * wco[j];
                        gco[j] += dPreO[j] * cell;
                    }
                    // The clip passes the gradient only where it did not bind.
                    var dRaw = !clip || (raw[j] > -k && raw[j] < k) ? dClipped : T.Zero;
                    var dI = dRaw * gg * i * (T.One - i);
                    var dF = dRaw * cp[j] * f * (T.One - f);
                    var dG = dRaw * i * (T.One - gg * gg);
                    var dcPrev = dRaw * f + (keep ? dcb[j] : T.Zero);
                    if (peep)
                    {
                        dcPrev += dI * wci[j] + dF * wcf[j];
                        gci[j] += dI * cp[j];
                        gcf[j] += dF * cp[j];
                    }
                    dcb[j] = dcPrev;
                    (dg[j], dg[h + j], dg[2 * h + j], dg[3 * h + j]) = (dI, dF, dG, dPreO[j]);
                }
                if (bias)
                {
                    var gbi = g.BiasIh.Span;
                    var gbh = g.BiasHh.Span;
                    for (var j = 0; j < g4; j++) { gbi[j] += dg[j]; gbh[j] += dg[j]; }
                }
                var dr = dRecurrent.AsSpan(b * g4, g4);
                dg.CopyTo(dr);
                if (ln)
                {
                    CellOptionsLayer<T>.NormBackward(dg, st.Row(st.InputPre, t, b, g4), st.InputRstd[t * batch + b],
                        w.LnIhWeight.Span, g.LnIhWeight.Span, g.LnIhBias.Span);
                    CellOptionsLayer<T>.NormBackward(dr, st.Row(st.RecurrentHat, t, b, g4), st.RecurrentRstd[t * batch + b],
                        w.LnHhWeight.Span, g.LnHhWeight.Span, g.LnHhBias.Span);
                }
            }
            Gemm.Run<T>(dRecurrent, true, hPrev, false, g.WeightHh.Span, g4, p, batch, T.One, T.One);
            Gemm.Run<T>(dRecurrent, false, w.WeightHh.Span, false, dhNext, batch, p, g4, T.One, T.Zero);
            for (var b = 0; b < batch; b++)
            {
                for (var j = 0; j < p; j++)
                {
                    var n = b * p + j;
                    if (!st.IsActive(t, b)) dhNext[n] = dh[n];
                    else if (st.KeepH(t, b, j)) dhNext[n] += dh[n];
                }
            }
            (dh, dhNext) = (dhNext, dh);
        }
        if (!grad.DH0.IsEmpty) dh.CopyTo(grad.DH0.Span);
        if (!grad.DC0.IsEmpty) dc.CopyTo(grad.DC0.Span);
        if (proj) Gemm.Run<T>(dNewAll, true, st.M, false, g.WeightHr.Span, p, h, steps * batch, T.One, T.One);
        return dPre;
    }
}
