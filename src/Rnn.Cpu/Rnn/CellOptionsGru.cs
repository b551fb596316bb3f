using System.Numerics;
using GpuRnn.Cpu.Kernels;
using static GpuRnn.Cpu.Kernels.Activations;

namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// GRU with cell options, one direction. With layer norm (reset-after only) ax = LN_ih(W_ih x),
/// ah = LN_hh(W_hh h), else the plain products; r = σ(ax_r + b_ir + ah_r + b_hr), z likewise,
/// n = tanh(ax_n + b_in + r * (ah_n + b_hn)) (reset-before: tanh(ax_n + b_in + W_hn (r * h) + b_hn)),
/// h~ = (1 - z) * n + z * h(t-1), then zoneout h(t) = zone(h(t-1), h~).
/// </summary>
internal static class CellOptionsGru
{
    public static void Forward<T>(in DirectionWeights<T> w, CellOptionsState<T> st, in DirectionIO<T> io, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layer = st.Layer;
        int batch = st.Batch, h = layer.HiddenSize, g3 = 3 * h;
        bool ln = layer.LayerNorm, bias = w.HasBias, after = layer.GruVariant == GruVariant.ResetAfter;
        T zh = T.CreateChecked(layer.Zoneout);
        CellOptionsLayer<T>.InputProjection(w, st, io.X.Span);
        var recurrent = new T[batch * g3];
        var ax = new T[g3];
        var ah = new T[g3];
        var zeros = new T[batch * h];
        var whh = w.WeightHh.Span;

        for (var s = 0; s < st.Steps; s++)
        {
            var t = st.TimeAt(s);
            var hPrev = CellOptionsLayer<T>.PreviousH(st, io, s, zeros);
            // Reset-before: only the r and z rows multiply h(t-1); the n rows multiply r * h(t-1) below.
            Gemm.Run(hPrev, h, false, whh, h, true, recurrent, g3, batch, after ? g3 : 2 * h, h, T.One, T.Zero);
            for (var b = 0; b < batch; b++)
            {
                if (!st.IsActive(t, b)) continue;
                var x = st.Row(st.InputPre, t, b, g3);
                var rec = recurrent.AsSpan(b * g3, g3);
                if (ln)
                {
                    var hat = st.Row(st.RecurrentHat, t, b, g3);
                    st.InputRstd[t * batch + b] = RowNorm.Forward<T>(x, x);
                    st.RecurrentRstd[t * batch + b] = RowNorm.Forward<T>(rec, hat);
                    var gx = w.LnIhWeight.Span;
                    var bx = w.LnIhBias.Span;
                    var gh = w.LnHhWeight.Span;
                    var bh = w.LnHhBias.Span;
                    for (var j = 0; j < g3; j++) { ax[j] = gx[j] * x[j] + bx[j]; ah[j] = gh[j] * hat[j] + bh[j]; }
                }
                else
                {
                    x.CopyTo(ax);
                    rec.CopyTo(ah);
                }
                if (bias)
                {
                    var bi = w.BiasIh.Span;
                    var bh = w.BiasHh.Span;
                    for (var j = 0; j < g3; j++) { ax[j] += bi[j]; ah[j] += bh[j]; }
                }
                var gate = st.Row(st.Gates, t, b, g3);
                var extra = st.Row(st.GruExtra, t, b, h);
                var hp = hPrev.Slice(b * h, h);
                for (var j = 0; j < h; j++)
                {
                    gate[j] = Sigmoid(ax[j] + ah[j]);
                    gate[h + j] = Sigmoid(ax[h + j] + ah[h + j]);
                    if (after)
                    {
                        extra[j] = ah[2 * h + j];
                        gate[2 * h + j] = T.Tanh(ax[2 * h + j] + gate[j] * extra[j]);
                    }
                    else
                    {
                        extra[j] = gate[j] * hp[j];
                        // ax_n + b_in for now; the candidate is finished once W_hn (r * h) is known.
                        gate[2 * h + j] = ax[2 * h + j] + (bias ? w.BiasHh.Span[2 * h + j] : T.Zero);
                    }
                }
            }
            if (!after)
            {
                Gemm.Run<T>(st.GruExtra.AsSpan(t * batch * h, batch * h), h, false, whh[(2 * h * h)..], h, true,
                    recurrent.AsSpan(2 * h), g3, batch, h, h, T.One, T.Zero);
                for (var b = 0; b < batch; b++)
                {
                    if (!st.IsActive(t, b)) continue;
                    var gate = st.Row(st.Gates, t, b, g3);
                    for (var j = 0; j < h; j++) gate[2 * h + j] = T.Tanh(gate[2 * h + j] + recurrent[b * g3 + 2 * h + j]);
                }
            }
            for (var b = 0; b < batch; b++)
            {
                var hp = hPrev.Slice(b * h, h);
                var hOut = st.Row(st.H, t, b, h);
                if (!st.IsActive(t, b)) { hp.CopyTo(hOut); continue; }
                var gate = st.Row(st.Gates, t, b, g3);
                for (var j = 0; j < h; j++)
                {
                    T z = gate[h + j], n = gate[2 * h + j];
                    var next = (T.One - z) * n + z * hp[j];
                    hOut[j] = CellOptionsLayer<T>.Zone(hp[j], next, zh, training, training && st.KeepH(t, b, j));
                }
            }
            CellOptionsLayer<T>.WriteOutput(st, io, t);
        }
    }

    /// <summary>BPTT; returns dL/d(W_ih x) [T*B, 3H] (zero rows where inactive).</summary>
    public static T[] Backward<T>(in DirectionWeights<T> w, in DirectionWeights<T> g, CellOptionsState<T> st,
        in DirectionIO<T> io, in DirectionGradIO<T> grad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layer = st.Layer;
        int steps = st.Steps, batch = st.Batch, h = layer.HiddenSize, g3 = 3 * h;
        bool ln = layer.LayerNorm, bias = g.HasBias, after = layer.GruVariant == GruVariant.ResetAfter;
        var dPre = new T[steps * batch * g3];
        var dh = new T[batch * h];
        var dhNext = new T[batch * h];
        var dDirect = new T[batch * h];
        var dRecurrent = new T[batch * g3];
        var dResetH = after ? [] : new T[batch * h];
        var zeros = new T[batch * h];
        var whh = w.WeightHh.Span;
        var gwhh = g.WeightHh.Span;
        if (!grad.DHN.IsEmpty) grad.DHN.Span.CopyTo(dh);

        for (var s = steps - 1; s >= 0; s--)
        {
            var t = st.TimeAt(s);
            var hPrev = CellOptionsLayer<T>.PreviousH(st, io, s, zeros);
            CellOptionsLayer<T>.AddOutputGradient(st, grad, t, dh);
            Array.Clear(dRecurrent);
            Array.Clear(dDirect);
            for (var b = 0; b < batch; b++)
            {
                if (!st.IsActive(t, b)) continue;
                var gate = st.Row(st.Gates, t, b, g3);
                var extra = st.Row(st.GruExtra, t, b, h);
                var hp = hPrev.Slice(b * h, h);
                var dx = dPre.AsSpan((t * batch + b) * g3, g3);
                var dr = dRecurrent.AsSpan(b * g3, g3);
                for (var j = 0; j < h; j++)
                {
                    var keep = st.KeepH(t, b, j);
                    var dNew = keep ? T.Zero : dh[b * h + j];
                    T r = gate[j], z = gate[h + j], n = gate[2 * h + j];
                    dDirect[b * h + j] = dNew * z + (keep ? dh[b * h + j] : T.Zero);
                    var dPreN = dNew * (T.One - z) * (T.One - n * n);
                    var dPreZ = dNew * (hp[j] - n) * z * (T.One - z);
                    (dx[h + j], dx[2 * h + j]) = (dPreZ, dPreN);
                    (dr[h + j], dr[2 * h + j]) = (dPreZ, after ? dPreN * r : dPreN);
                    if (after)
                    {
                        var dPreR = dPreN * extra[j] * r * (T.One - r);
                        dx[j] = dr[j] = dPreR;
                    }
                }
            }
            if (!after)
            {
                // d(r * h) = dPre_n W_hn; it feeds the reset gate and h(t-1).
                Gemm.Run<T>(dRecurrent.AsSpan(2 * h), g3, false, whh[(2 * h * h)..], h, false, dResetH, h, batch, h, h, T.One, T.Zero);
                for (var b = 0; b < batch; b++)
                {
                    if (!st.IsActive(t, b)) continue;
                    var gate = st.Row(st.Gates, t, b, g3);
                    var hp = hPrev.Slice(b * h, h);
                    for (var j = 0; j < h; j++)
                    {
                        var r = gate[j];
                        var dPreR = dResetH[b * h + j] * hp[j] * r * (T.One - r);
                        dPre[(t * batch + b) * g3 + j] = dRecurrent[b * g3 + j] = dPreR;
                        dDirect[b * h + j] += dResetH[b * h + j] * r;
                    }
                }
            }
            for (var b = 0; b < batch; b++)
            {
                if (!st.IsActive(t, b)) continue;
                var dx = dPre.AsSpan((t * batch + b) * g3, g3);
                var dr = dRecurrent.AsSpan(b * g3, g3);
                if (bias)
                {
                    var gbi = g.BiasIh.Span;
                    var gbh = g.BiasHh.Span;
                    for (var j = 0; j < g3; j++) { gbi[j] += dx[j]; gbh[j] += dr[j]; }
                }
                if (ln)
                {
                    CellOptionsLayer<T>.NormBackward(dx, st.Row(st.InputPre, t, b, g3), st.InputRstd[t * batch + b],
                        w.LnIhWeight.Span, g.LnIhWeight.Span, g.LnIhBias.Span);
                    CellOptionsLayer<T>.NormBackward(dr, st.Row(st.RecurrentHat, t, b, g3), st.RecurrentRstd[t * batch + b],
                        w.LnHhWeight.Span, g.LnHhWeight.Span, g.LnHhBias.Span);
                }
            }
            var hRows = after ? g3 : 2 * h;
            // dW_hh += dRecurrent^T h(t-1) (reset-before: the n rows take r * h(t-1)); dh(t-1) = dRecurrent W_hh + the direct terms.
            Gemm.Run<T>(dRecurrent, g3, true, hPrev, h, false, gwhh, h, hRows, h, batch, T.One, T.One);
            if (!after)
            {
                Gemm.Run<T>(dRecurrent.AsSpan(2 * h), g3, true, st.GruExtra.AsSpan(t * batch * h, batch * h), h, false,
                    gwhh[(2 * h * h)..], h, h, h, batch, T.One, T.One);
            }
            Gemm.Run<T>(dRecurrent, g3, false, whh, h, false, dhNext, h, batch, h, hRows, T.One, T.Zero);
            for (var b = 0; b < batch; b++)
            {
                for (var j = 0; j < h; j++)
                {
                    var n = b * h + j;
                    dhNext[n] = st.IsActive(t, b) ? dhNext[n] + dDirect[n] : dh[n];
                }
            }
            (dh, dhNext) = (dhNext, dh);
        }
        if (!grad.DH0.IsEmpty) dh.CopyTo(grad.DH0.Span);
        return dPre;
    }
}
