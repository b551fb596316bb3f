using System.Numerics;
using GpuRnn.Cpu.Rnn;
using static GpuRnn.Cpu.Kernels.Activations;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// LSTM forward over one direction; the CPU twin of the GPU's LstmForward kernels.
/// i = σ(W_ii x + b_ii + W_hi h + b_hi [+ w_ci ⊙ c(t-1)]), f likewise with w_cf, g = tanh(...),
/// c(t) = f ⊙ c(t-1) + i ⊙ g, o = σ(... [+ w_co ⊙ c(t)]), m = o ⊙ tanh(c(t)),
/// h(t) = m, or W_hr m with a projection.
/// </summary>
internal static class LstmForward
{
    public static void Run<T>(in DirectionWeights<T> w, DirectionState<T> state, in DirectionIO<T> io)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layer = state.Layer;
        int batch = state.Batch, h = layer.HiddenSize, p = layer.StateSize, g4 = 4 * h;
        var peep = layer.Peepholes;
        var proj = layer.ProjSize > 0;
        RecurrentLayer<T>.InputProjection(w, state, io.X.Span, addHiddenBias: true);
        var recurrent = new T[batch * g4];
        using var whh = new PreparedB<T>(state.Pool, w.WeightHh, p, true, p, g4);
        using var whr = proj ? new PreparedB<T>(state.Pool, w.WeightHr, h, true, h, p) : null;
        var zeros = RecurrentLayer<T>.Zeros(state);
        w.Peepholes(out var wci, out var wcf, out var wco);

        for (var s = 0; s < state.Steps; s++)
        {
            var t = state.TimeAt(s);
            var hPrev = RecurrentLayer<T>.PreviousH(state, io, s, zeros);
            var cPrev = RecurrentLayer<T>.PreviousC(state, io, s, zeros);
            whh.Multiply(hPrev, recurrent, batch, T.Zero);
            var gates = state.At(state.Gates, t, g4);
            var cOut = state.At(state.C, t, h);
            var hOut = state.At(state.H, t, p);
            // Without a projection m is h itself; with one, m is kept for dW_hr and projected below.
            var mOut = proj ? state.At(state.Extra, t, h) : hOut;
            for (var b = 0; b < batch; b++)
            {
                var gate = gates.Slice(b * g4, g4);
                if (!state.IsActive(t, b))
                {
                    gate.Clear();
                    cPrev.Slice(b * h, h).CopyTo(cOut.Slice(b * h, h));
                    if (proj) mOut.Slice(b * h, h).Clear();
                    else hPrev.Slice(b * p, p).CopyTo(hOut.Slice(b * p, p));
                    continue;
                }
                var cp = cPrev.Slice(b * h, h);
                var c = cOut.Slice(b * h, h);
                var m = mOut.Slice(b * h, h);
                // Pre-activations, then each nonlinearity over its whole gate block at once.
                Vectorized.Add(recurrent.AsSpan(b * g4, g4), gate);
                if (peep)
                {
                    Vectorized.MultiplyAdd(wci, cp, gate[..h]);
                    Vectorized.MultiplyAdd(wcf, cp, gate[h..(2 * h)]);
                }
                VectorMath.SigmoidInPlace(gate[..(2 * h)]);
                VectorMath.TanhInPlace(gate[(2 * h)..(3 * h)]);
                var i = gate[..h];
                var f = gate[h..(2 * h)];
                var g = gate[(2 * h)..(3 * h)];
                var o = gate[(3 * h)..];
                for (var j = 0; j < h; j++) c[j] = f[j] * cp[j] + i[j] * g[j];
                if (peep) Vectorized.MultiplyAdd(wco, c, o);
                VectorMath.SigmoidInPlace(o);
                VectorMath.Tanh<T>(c, m);
                Vectorized.Multiply(o, m);
            }
            if (proj)
            {
                whr!.Multiply(mOut, hOut, batch, T.Zero);
                for (var b = 0; b < batch; b++)
                {
                    if (!state.IsActive(t, b)) hPrev.Slice(b * p, p).CopyTo(hOut.Slice(b * p, p));
                }
            }
            RecurrentLayer<T>.WriteOutput(state, io, t);
        }
    }
}
