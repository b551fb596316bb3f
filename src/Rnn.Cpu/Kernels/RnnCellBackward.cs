using System.Numerics;
using GpuRnn.Cpu.Rnn;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// RNN backpropagation through time over one direction; the CPU twin of the GPU's
/// RnnCellBackward kernels. dPre = dh ⊙ act'(h): tanh' = 1 - h², relu' = [h &gt; 0].
/// </summary>
internal static class RnnCellBackward
{
    public static T[] Run<T>(in DirectionWeights<T> w, in DirectionWeights<T> g, DirectionState<T> state,
        in DirectionIO<T> io, in DirectionGradIO<T> grad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = state.Steps, batch = state.Batch, h = state.Layer.HiddenSize;
        var relu = state.Layer.Cell == RnnCellKind.RnnRelu;
        // Rows of inactive steps stay zero: the products below read them.
        var dPre = state.Pool.RentCleared<T>(steps * batch * h);
        var (dh, dhNext) = RecurrentLayer<T>.CarriedGradient(grad, batch * h);
        using var whh = new PreparedB<T>(state.Pool, w.WeightHh, h, false, h, h);
        for (var s = steps - 1; s >= 0; s--)
        {
            var t = state.TimeAt(s);
            var act = state.At(state.Gates, t, h);
            var dP = dPre.AsSpan(t * batch * h, batch * h);
            for (var b = 0; b < batch; b++)
            {
                if (!state.IsActive(t, b)) continue;
                var dhb = dh.AsSpan(b * h, h);
                Vectorized.Add(grad.DY.Row(t, b, batch, h), dhb);
                var a = act.Slice(b * h, h);
                var d = dP.Slice(b * h, h);
                for (var j = 0; j < h; j++)
                    d[j] = dhb[j] * (relu ? (a[j] > T.Zero ? T.One : T.Zero) : T.One - a[j] * a[j]);
            }
            whh.Multiply(dP, dhNext, batch, T.Zero);
            for (var b = 0; b < batch; b++)
            {
                if (!state.IsActive(t, b)) dh.AsSpan(b * h, h).CopyTo(dhNext.AsSpan(b * h, h));
            }
            (dh, dhNext) = (dhNext, dh);
        }
        if (!grad.DH0.IsEmpty) dh.CopyTo(grad.DH0.Span);
        RecurrentLayer<T>.HiddenGradients(state, io, g, dPre, h, h);
        return dPre;
    }
}
