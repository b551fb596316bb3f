using System.Numerics;
using GpuRnn.Cpu.Rnn;
using static GpuRnn.Cpu.Kernels.Activations;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// RNN forward over one direction; the CPU twin of the GPU's RnnCellForward kernels.
/// h(t) = act(W_ih x + b_ih + W_hh h(t-1) + b_hh), act = tanh or relu.
/// </summary>
internal static class RnnCellForward
{
    public static void Run<T>(in DirectionWeights<T> w, DirectionState<T> state, in DirectionIO<T> io)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = state.Batch, h = state.Layer.HiddenSize;
        var relu = state.Layer.Cell == RnnCellKind.RnnRelu;
        RecurrentLayer<T>.InputProjection(w, state, io.X.Span, addHiddenBias: true);
        var zeros = RecurrentLayer<T>.Zeros(state);
        using var whh = new PreparedB<T>(state.Pool, w.WeightHh, h, true, h, h);
        for (var s = 0; s < state.Steps; s++)
        {
            var t = state.TimeAt(s);
            var hPrev = RecurrentLayer<T>.PreviousH(state, io, s, zeros);
            var pre = state.At(state.Gates, t, h);
            var hOut = state.At(state.H, t, h);
            whh.Multiply(hPrev, pre, batch, T.One);
            for (var b = 0; b < batch; b++)
            {
                var ho = hOut.Slice(b * h, h);
                var gate = pre.Slice(b * h, h);
                if (!state.IsActive(t, b))
                {
                    hPrev.Slice(b * h, h).CopyTo(ho);
                    gate.Clear();
                    continue;
                }
                if (relu)
                {
                    for (var j = 0; j < h; j++) gate[j] = Relu(gate[j]);
                }
                else VectorMath.TanhInPlace(gate);
                gate.CopyTo(ho);
            }
            RecurrentLayer<T>.WriteOutput(state, io, t);
        }
    }
}
