using System.Numerics;
using GpuRnn.Cpu.Kernels;

namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// The reference CPU path of one recurrent layer, every direction, over the whole sequence: any
/// cell and option in float32 or float64, one step at a time through the cell kernels of
/// Kernels/{Lstm,Gru,RnnCell}{Forward,Backward}.cs after one input projection for all steps.
/// <see cref="CpuBackend"/> takes it for every layer that <see cref="FusedRecurrentLayer"/> does
/// not handle.
/// </summary>
internal static class ReferenceRecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Runs every direction; returns the reserve when <paramref name="training"/>, else null.</summary>
    public static CpuRnnReserve<T>? Forward(CpuBackend backend, RnnLayerDesc layer, DirectionWeights<T>[] weights,
        DirectionIO<T>[] io, int steps, int batch, int[]? lengths, bool training)
    {
        var states = new DirectionState<T>[layer.Directions];
        for (var d = 0; d < layer.Directions; d++)
        {
            var state = new DirectionState<T>(backend.Pool, layer, steps, batch, d, lengths);
            switch (layer.Cell)
            {
                case RnnCellKind.Lstm: LstmForward.Run(weights[d], state, io[d]); break;
                case RnnCellKind.Gru: GruForward.Run(weights[d], state, io[d]); break;
                default: RnnCellForward.Run(weights[d], state, io[d]); break;
            }
            RecurrentLayer<T>.WriteFinalStates(state, io[d]);
            if (training) states[d] = state;
            else state.Dispose();
        }
        return training ? new CpuRnnReserve<T>(backend, layer, steps, batch, states) : null;
    }

    /// <summary>Backpropagates every direction through time; parameter gradients accumulate, dx is overwritten.</summary>
    public static void Backward(RnnLayerDesc layer, DirectionWeights<T>[] weights, DirectionWeights<T>[] gradients,
        CpuRnnReserve<T> reserve, Memory<T> x, DirectionIO<T>[] io, DirectionGradIO<T>[] grad, Memory<T> dx)
    {
        var pool = ((CpuBackend)reserve.Backend).Pool;
        for (var d = 0; d < layer.Directions; d++)
        {
            var state = reserve.Directions[d];
            var rows = state.Steps * state.Batch;
            var width = layer.GateCount * layer.HiddenSize;
            var dPre = layer.Cell switch
            {
                RnnCellKind.Lstm => LstmBackward.Run(weights[d], gradients[d], state, io[d], grad[d]),
                RnnCellKind.Gru => GruBackward.Run(weights[d], gradients[d], state, io[d], grad[d]),
                _ => RnnCellBackward.Run(weights[d], gradients[d], state, io[d], grad[d]),
            };
            RecurrentLayer<T>.InputGradients(layer, weights[d], gradients[d], x.Span, dPre.AsSpan(0, rows * width), rows, dx.Span, accumulate: d > 0);
            pool.Return(dPre);
        }
    }
}
