using System.Numerics;
using GpuRnn.Cpu.Rnn;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// LSTM backpropagation through time over one direction; the CPU twin of the GPU's LstmBackward
/// kernels. Walks the steps in the reverse of their processing order carrying dh [B, P] and
/// dc [B, H]; returns dPre [T*B, 4H], the gradient of the gate pre-activations.
/// </summary>
internal static class LstmBackward
{
    public static T[] Run<T>(in DirectionWeights<T> w, in DirectionWeights<T> g, DirectionState<T> state,
        in DirectionIO<T> io, in DirectionGradIO<T> grad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layer = state.Layer;
        int steps = state.Steps, batch = state.Batch, h = layer.HiddenSize, p = layer.StateSize, g4 = 4 * h;
        var peep = layer.Peepholes;
        var proj = layer.ProjSize > 0;
        // Rows of inactive steps stay zero: the products below read them.
        var dPre = state.Pool.RentCleared<T>(steps * batch * g4);
        var (dh, dhNext) = RecurrentLayer<T>.CarriedGradient(grad, batch * p);
        var dc = new T[batch * h];
        if (!grad.DCN.IsEmpty) grad.DCN.Span.CopyTo(dc);
        // dh at each step (zero where inactive), kept for dW_hr = sum dh^T m.
        var dhAll = proj ? state.Pool.Rent<T>(steps * batch * p) : [];
        var dm = proj ? new T[batch * h] : dh;
        var zeros = RecurrentLayer<T>.Zeros(state);
        var tanhC = new T[h];
        using var whh = new PreparedB<T>(state.Pool, w.WeightHh, p, false, g4, p);
        using var whr = proj ? new PreparedB<T>(state.Pool, w.WeightHr, h, false, p, h) : null;
        w.Peepholes(out var wci, out var wcf, out var wco);
        g.Peepholes(out var gci, out var gcf, out var gco);

        for (var s = steps - 1; s >= 0; s--)
        {
            var t = state.TimeAt(s);
            var cPrev = RecurrentLayer<T>.PreviousC(state, io, s, zeros);
            var gates = state.At(state.Gates, t, g4);
            var cNow = state.At(state.C, t, h);
            var dGate = dPre.AsSpan(t * batch * g4, batch * g4);
            for (var b = 0; b < batch; b++)
            {
                if (state.IsActive(t, b)) Vectorized.Add(grad.DY.Row(t, b, batch, p), dh.AsSpan(b * p, p));
            }
            if (proj)
            {
                dh.CopyTo(dhAll.AsSpan(t * batch * p));
                for (var b = 0; b < batch; b++)
                {
                    if (!state.IsActive(t, b)) dhAll.AsSpan((t * batch + b) * p, p).Clear();
                }
                whr!.Multiply(dh, dm, batch, T.Zero);
            }
            for (var b = 0; b < batch; b++)
            {
                if (!state.IsActive(t, b)) continue;
                var gate = gates.Slice(b * g4, g4);
                var dg = dGate.Slice(b * g4, g4);
                var cp = cPrev.Slice(b * h, h);
                var c = cNow.Slice(b * h, h);
                var dmb = dm.AsSpan(b * h, h);
                var dcb = dc.AsSpan(b * h, h);
                VectorMath.Tanh<T>(c, tanhC);
                for (var j = 0; j < h; j++)
                {
                    T i = gate[j], f = gate[h + j], gg = gate[2 * h + j], o = gate[3 * h + j];
                    var tc = tanhC[j];
                    var dPreO = dmb[j] * tc * o * (T.One - o);
                    var dcTotal = dcb[j] + dmb[j] * o * (T.One - tc * tc);
                    if (peep) dcTotal += dPreO * wco[j];
                    var dPreI = dcTotal * gg * i * (T.One - i);
                    var dPreF = dcTotal * cp[j] * f * (T.One - f);
                    var dPreG = dcTotal * i * (T.One - gg * gg);
                    var dcPrev = dcTotal * f;
                    if (peep)
                    {
                        dcPrev += dPreI * wci[j] + dPreF * wcf[j];
                        gci[j] += dPreI * cp[j];
                        gcf[j] += dPreF * cp[j];
                        gco[j] += dPreO * c[j];
                    }
                    dg[j] = dPreI;
                    dg[h + j] = dPreF;
                    dg[2 * h + j] = dPreG;
                    dg[3 * h + j] = dPreO;
                    dcb[j] = dcPrev;
                }
            }
            // dh(t-1) = dPre W_hh for active rows; inactive rows pass dh through unchanged.
            whh.Multiply(dGate, dhNext, batch, T.Zero);
            for (var b = 0; b < batch; b++)
            {
                if (!state.IsActive(t, b)) dh.AsSpan(b * p, p).CopyTo(dhNext.AsSpan(b * p, p));
            }
            (dh, dhNext) = (dhNext, dh);
            if (!proj) dm = dh;
        }
        if (!grad.DH0.IsEmpty) dh.CopyTo(grad.DH0.Span);
        if (!grad.DC0.IsEmpty) dc.CopyTo(grad.DC0.Span);

        RecurrentLayer<T>.HiddenGradients(state, io, g, dPre, g4, g4);
        if (proj) Gemm.Run<T>(dhAll, true, state.Extra, false, g.WeightHr.Span, p, h, steps * batch, T.One, T.One);
        state.Pool.Return(dhAll);
        return dPre;
    }
}
