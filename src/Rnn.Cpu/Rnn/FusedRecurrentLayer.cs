namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// The fused CPU path of one recurrent layer, every direction: float32 LSTM without projection and
/// GRU with the reset after the product (<see cref="Handles"/>), each step one fused kernel per
/// panel of units (<see cref="FusedForward"/>, <see cref="FusedBackward"/>). Same results as
/// <see cref="ReferenceRecurrentLayer{T}"/> within float32 rounding, several times faster; the
/// bits do not depend on the thread count.
/// </summary>
internal static class FusedRecurrentLayer
{
    /// <summary>
    /// Whether this path runs the layer: the one place the CPU backend chooses between the fused and
    /// the reference path, for the forward and for its backward alike.
    /// </summary>
    public static bool Handles(RnnLayerDesc layer, DType dtype) => dtype == DType.Float32 && FusedForward.Supports(layer);

    /// <summary>Runs every direction; returns the reserve when <paramref name="training"/>, else null.</summary>
    public static CpuRnnReserve<float>? Forward(CpuBackend backend, RnnLayerDesc layer, DirectionWeights<float>[] weights,
        DirectionIO<float>[] io, int steps, int batch, int[]? lengths, bool training)
    {
        var states = training ? new DirectionState<float>[layer.Directions] : null;
        for (var d = 0; d < layer.Directions; d++)
        {
            // Inference keeps no per-step state at all on this path; a training forward fills the reserve.
            var reserve = states is null ? null : states[d] = new DirectionState<float>(backend.Pool, layer, steps, batch, d, lengths);
            FusedForward.Run(backend.Pool, backend.PackedWeights, layer, weights[d], io[d], steps, batch, d == 1, lengths, reserve);
        }
        return states is null ? null : new CpuRnnReserve<float>(backend, layer, steps, batch, states);
    }

    /// <summary>Backpropagates every direction through time; parameter gradients accumulate, dx is overwritten.</summary>
    public static void Backward(RnnLayerDesc layer, DirectionWeights<float>[] weights, DirectionWeights<float>[] gradients,
        CpuRnnReserve<float> reserve, Memory<float> x, DirectionIO<float>[] io, DirectionGradIO<float>[] grad, Memory<float> dx)
    {
        var pool = ((CpuBackend)reserve.Backend).Pool;
        for (var d = 0; d < layer.Directions; d++)
        {
            var state = reserve.Directions[d];
            int rows = state.Steps * state.Batch, width = layer.GateCount * layer.HiddenSize;
            var dPre = FusedBackward.Run(pool, weights[d], gradients[d], state, io[d], grad[d]);
            // The fused backward has summed db_ih with db_hh already.
            RecurrentLayer<float>.InputGradients(layer, weights[d], gradients[d], x.Span, dPre.AsSpan(0, rows * width), rows, dx.Span,
                accumulate: d > 0, biasDone: true);
            pool.Return(dPre);
        }
    }
}
