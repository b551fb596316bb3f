using System.Numerics;
using GpuRnn.Cpu.Rnn;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// GRU backpropagation through time over one direction; the CPU twin of the GPU's GruBackward
/// kernels. Returns dPreX [T*B, 3H], the gradient of the input projection (W_i x + b_i); the
/// gradient of the hidden projection differs from it only in the n block (reset after: times r).
/// </summary>
internal static class GruBackward
{
    public static T[] Run<T>(in DirectionWeights<T> w, in DirectionWeights<T> g, DirectionState<T> state,
        in DirectionIO<T> io, in DirectionGradIO<T> grad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layer = state.Layer;
        int steps = state.Steps, batch = state.Batch, h = layer.HiddenSize, g3 = 3 * h;
        var resetAfter = layer.GruVariant == GruVariant.ResetAfter;
        // Rows of inactive steps stay zero: the products below read them.
        var dPreX = state.Pool.RentCleared<T>(steps * batch * g3);
        // Gradient of the hidden projection (W_h h + b_h); reset after: its n block is dPreN ⊙ r.
        var dPreH = state.Pool.RentCleared<T>(steps * batch * g3);
        var (dh, dhNext) = RecurrentLayer<T>.CarriedGradient(grad, batch * h);
        var dRh = new T[batch * h];
        var zeros = RecurrentLayer<T>.Zeros(state);
        // Products with W_hh (not transposed): [B, G] x [G, H]. Reset before splits r,z rows from n rows.
        using var whh = new PreparedB<T>(state.Pool, resetAfter ? w.WeightHh : w.WeightHh[..(2 * h * h)], h, false, resetAfter ? g3 : 2 * h, h);
        using var whn = resetAfter ? null : new PreparedB<T>(state.Pool, w.WeightHh[(2 * h * h)..], h, false, h, h);

        for (var s = steps - 1; s >= 0; s--)
        {
            var step = new GruStepRows<T>(state, io, s, zeros);
            var t = step.Time;
            var dX = dPreX.AsSpan(t * batch * g3, batch * g3);
            var dH = dPreH.AsSpan(t * batch * g3, batch * g3);
            for (var b = 0; b < batch; b++)
            {
                var dhb = dh.AsSpan(b * h, h);
                var direct = dhNext.AsSpan(b * h, h);
                if (!state.IsActive(t, b))
                {
                    dhb.CopyTo(direct);
                    continue;
                }
                Vectorized.Add(grad.DY.Row(t, b, batch, h), dhb);
                var gate = step.GateRow(b);
                var hp = step.HPrevRow(b);
                var e = step.ExtraRow(b);
                var dx = dX.Slice(b * g3, g3);
                var dhh = dH.Slice(b * g3, g3);
                for (var j = 0; j < h; j++)
                {
                    T r = gate[j], z = gate[h + j], n = gate[2 * h + j];
                    var dPreN = dhb[j] * (T.One - z) * (T.One - n * n);
                    dx[h + j] = dhb[j] * (hp[j] - n) * z * (T.One - z);
                    dhh[h + j] = dx[h + j];
                    dx[2 * h + j] = dPreN;
                    direct[j] = dhb[j] * z;
                    if (resetAfter)
                    {
                        dx[j] = dPreN * e[j] * r * (T.One - r);
                        dhh[j] = dx[j];
                        dhh[2 * h + j] = dPreN * r;
                    }
                    else dhh[2 * h + j] = dPreN;
                }
            }
            if (resetAfter)
            {
                whh.Multiply(dH, g3, false, dhNext, h, batch, T.One, T.One);
            }
            else
            {
                // d(r ⊙ h) = dPreN W_hn; then r's gradient, and h(t-1) gets d(r ⊙ h) ⊙ r directly.
                whn!.Multiply(dH[(2 * h)..], g3, false, dRh, h, batch, T.One, T.Zero);
                for (var b = 0; b < batch; b++)
                {
                    if (!state.IsActive(t, b)) continue;
                    var gate = step.GateRow(b);
                    var hp = step.HPrevRow(b);
                    var drh = dRh.AsSpan(b * h, h);
                    var dx = dX.Slice(b * g3, g3);
                    var dhh = dH.Slice(b * g3, g3);
                    var direct = dhNext.AsSpan(b * h, h);
                    for (var j = 0; j < h; j++)
                    {
                        var r = gate[j];
                        dx[j] = drh[j] * hp[j] * r * (T.One - r);
                        dhh[j] = dx[j];
                        direct[j] += drh[j] * r;
                    }
                }
                whh.Multiply(dH, g3, false, dhNext, h, batch, T.One, T.One);
            }
            // Inactive rows: dPre rows are zero, so the products above left their pass-through intact.
            (dh, dhNext) = (dhNext, dh);
        }
        if (!grad.DH0.IsEmpty) dh.CopyTo(grad.DH0.Span);

        // Reset before: the r and z rows multiply h(t-1); the n rows multiply r ⊙ h(t-1), kept in Extra.
        RecurrentLayer<T>.HiddenGradients(state, io, g, dPreH, g3, resetAfter ? g3 : 2 * h);
        if (!resetAfter)
        {
            Gemm.Run<T>(dPreH.AsSpan(2 * h), g3, true, state.Extra, h, false, g.WeightHh.Span[(2 * h * h)..], h, h, h, steps * batch, T.One, T.One);
        }
        state.Pool.Return(dPreH);
        return dPreX;
    }
}
