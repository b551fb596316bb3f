using System.Numerics;
using GpuRnn.Cpu.Rnn;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// GRU forward over one direction; the CPU twin of the GPU's GruForward kernels.
/// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
/// reset after (PyTorch, cuDNN): n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));
/// reset before (Cho et al. 2014): n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn);
/// h(t) = (1 - z) ⊙ n + z ⊙ h(t-1).
/// </summary>
internal static class GruForward
{
    public static void Run<T>(in DirectionWeights<T> w, DirectionState<T> state, in DirectionIO<T> io)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layer = state.Layer;
        int batch = state.Batch, h = layer.HiddenSize, g3 = 3 * h;
        var resetAfter = layer.GruVariant == GruVariant.ResetAfter;
        RecurrentLayer<T>.InputProjection(w, state, io.X.Span, addHiddenBias: false);
        var recurrent = new T[batch * g3];
        var zeros = RecurrentLayer<T>.Zeros(state);
        // Reset after: all three hidden products at once. Reset before: r and z first; n needs r.
        var rows = resetAfter ? g3 : 2 * h;
        using var whh = new PreparedB<T>(state.Pool, w.WeightHh[..(rows * h)], h, true, h, rows);
        using var whn = resetAfter ? null : new PreparedB<T>(state.Pool, w.WeightHh[(2 * h * h)..], h, true, h, h);
        var bhh = w.BiasHh.Span;
        var hasBias = w.HasBias;

        for (var s = 0; s < state.Steps; s++)
        {
            // Reset after: Extra keeps W_hn h + b_hn. Reset before: Extra keeps r ⊙ h(t-1).
            var step = new GruStepRows<T>(state, io, s, zeros);
            var t = step.Time;
            var hOut = state.At(state.H, t, h);
            whh.Multiply(step.HPrev, h, false, recurrent, g3, batch, T.One, T.Zero);
            for (var b = 0; b < batch; b++)
            {
                var rec = recurrent.AsSpan(b * g3, g3);
                if (hasBias)
                {
                    for (var j = 0; j < rows; j++) rec[j] += bhh[j];
                }
                if (!state.IsActive(t, b))
                {
                    step.GateRow(b).Clear();
                    step.ExtraRow(b).Clear();
                    continue;
                }
                var gate = step.GateRow(b);
                var hp = step.HPrevRow(b);
                var e = step.ExtraRow(b);
                Vectorized.Add(rec[..(2 * h)], gate[..(2 * h)]);
                VectorMath.SigmoidInPlace(gate[..(2 * h)]);
                if (resetAfter) rec[(2 * h)..].CopyTo(e);
                else for (var j = 0; j < h; j++) e[j] = gate[j] * hp[j];
            }
            if (!resetAfter)
            {
                // W_hn (r ⊙ h) into the n block of the recurrent buffer.
                whn!.Multiply(step.Extra, h, false, recurrent.AsSpan(2 * h), g3, batch, T.One, T.Zero);
            }
            for (var b = 0; b < batch; b++)
            {
                var ho = hOut.Slice(b * h, h);
                var hp = step.HPrevRow(b);
                if (!state.IsActive(t, b))
                {
                    hp.CopyTo(ho);
                    continue;
                }
                var gate = step.GateRow(b);
                var rec = recurrent.AsSpan(b * g3, g3);
                var e = step.ExtraRow(b);
                var n = gate[(2 * h)..];
                for (var j = 0; j < h; j++)
                    n[j] += resetAfter ? gate[j] * e[j] : rec[2 * h + j] + (hasBias ? bhh[2 * h + j] : T.Zero);
                VectorMath.TanhInPlace(n);
                for (var j = 0; j < h; j++)
                {
                    var z = gate[h + j];
                    ho[j] = (T.One - z) * n[j] + z * hp[j];
                }
            }
            RecurrentLayer<T>.WriteOutput(state, io, t);
        }
    }
}
