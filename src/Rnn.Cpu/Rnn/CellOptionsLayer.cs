using System.Numerics;
using GpuRnn.Cpu.Kernels;

namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// The CPU path of a layer with cell options (<see cref="RnnLayerDesc.HasCellOptions"/>: layer
/// norm, zoneout, cell clipping), every direction, float32 or float64: scalar per-step cell math in
/// <see cref="CellOptionsLstm"/> and <see cref="CellOptionsGru"/> around per-step matrix products.
/// The fused float32 path does not take such layers; <see cref="CpuBackend"/> routes them here.
/// </summary>
/// <remarks>
/// Variable lengths as <see cref="RecurrentLayer{T}"/>: an inactive row keeps its state and outputs
/// zero. Zoneout: in training a unit keeps its previous value where its mask says so
/// (<see cref="CellOptionsState{T}.KeepH"/>), in evaluation it is z * previous + (1 - z) * new.
/// </remarks>
internal static class CellOptionsLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Runs every direction; returns the reserve when <paramref name="training"/>, else null.</summary>
    public static RnnReserve? Forward(CpuBackend backend, RnnLayerDesc layer, DirectionWeights<T>[] weights,
        DirectionIO<T>[] io, int steps, int batch, int[]? lengths, bool training)
    {
        var states = new CellOptionsState<T>[layer.Directions];
        for (var d = 0; d < layer.Directions; d++)
        {
            var state = states[d] = new CellOptionsState<T>(layer, steps, batch, d, lengths);
            if (layer.HasCellState) CellOptionsLstm.Forward(weights[d], state, io[d], training);
            else CellOptionsGru.Forward(weights[d], state, io[d], training);
            var last = state.TimeAt(steps - 1);
            state.H.AsSpan(last * batch * layer.StateSize, batch * layer.StateSize).CopyTo(io[d].HN.Span);
            if (layer.HasCellState) state.C.AsSpan(last * batch * layer.HiddenSize, batch * layer.HiddenSize).CopyTo(io[d].CN.Span);
        }
        return training ? new CellOptionsReserve<T>(backend, layer, steps, batch, states) : null;
    }

    /// <summary>Backpropagates every direction through time; parameter gradients accumulate, dx is overwritten.</summary>
    public static void Backward(RnnLayerDesc layer, DirectionWeights<T>[] weights, DirectionWeights<T>[] gradients,
        CellOptionsReserve<T> reserve, Memory<T> x, DirectionIO<T>[] io, DirectionGradIO<T>[] grad, Memory<T> dx)
    {
        for (var d = 0; d < layer.Directions; d++)
        {
            var state = reserve.Directions[d];
            var dPre = layer.HasCellState
                ? CellOptionsLstm.Backward(weights[d], gradients[d], state, io[d], grad[d])
                : CellOptionsGru.Backward(weights[d], gradients[d], state, io[d], grad[d]);
            // Both cells' backwards have accumulated db_ih and db_hh themselves.
            RecurrentLayer<T>.InputGradients(layer, weights[d], gradients[d], x.Span, dPre, state.Steps * state.Batch, dx.Span,
                accumulate: d > 0, biasDone: true);
        }
    }

    /// <summary>InputPre [T*B, G*H] = x [T*B, I] W_ih^T, without biases (layer norm comes first).</summary>
    public static void InputProjection(in DirectionWeights<T> w, CellOptionsState<T> state, ReadOnlySpan<T> x)
    {
        int rows = state.Steps * state.Batch, gh = state.Layer.GateCount * state.Layer.HiddenSize;
        Gemm.Run(x, false, w.WeightIh.Span, true, state.InputPre, rows, gh, state.Layer.InputSize, T.One, T.Zero);
    }

    /// <summary>h [B, P] before processing step s: h0 (or zeros) at s = 0.</summary>
    public static ReadOnlySpan<T> PreviousH(CellOptionsState<T> state, in DirectionIO<T> io, int s, T[] zeros)
    {
        var width = state.Batch * state.Layer.StateSize;
        if (s > 0) return state.H.AsSpan(state.TimeAt(s - 1) * width, width);
        return io.H0.IsEmpty ? zeros.AsSpan(0, width) : io.H0.Span;
    }

    /// <summary>c [B, H] before processing step s: c0 (or zeros) at s = 0.</summary>
    public static ReadOnlySpan<T> PreviousC(CellOptionsState<T> state, in DirectionIO<T> io, int s, T[] zeros)
    {
        var width = state.Batch * state.Layer.HiddenSize;
        if (s > 0) return state.C.AsSpan(state.TimeAt(s - 1) * width, width);
        return io.C0.IsEmpty ? zeros.AsSpan(0, width) : io.C0.Span;
    }

    /// <summary>Zoneout of one unit: in training the previous value where kept, else the new one; in evaluation z * previous + (1 - z) * new.</summary>
    public static T Zone(T previous, T next, T z, bool training, bool keep) =>
        training ? (keep ? previous : next) : z == T.Zero ? next : z * previous + (T.One - z) * next;

    /// <summary>Writes step t's y rows: the state where active, zero where not.</summary>
    public static void WriteOutput(CellOptionsState<T> state, in DirectionIO<T> io, int t)
    {
        var p = state.Layer.StateSize;
        for (var b = 0; b < state.Batch; b++)
        {
            var y = io.Y.Row(t, b, state.Batch, p);
            if (state.IsActive(t, b)) state.Row(state.H, t, b, p).CopyTo(y);
            else y.Clear();
        }
    }

    /// <summary>dh [B, P] += this step's dy rows where active.</summary>
    public static void AddOutputGradient(CellOptionsState<T> state, in DirectionGradIO<T> grad, int t, Span<T> dh)
    {
        var p = state.Layer.StateSize;
        for (var b = 0; b < state.Batch; b++)
        {
            if (!state.IsActive(t, b)) continue;
            var dy = grad.DY.Row(t, b, state.Batch, p);
            var row = dh.Slice(b * p, p);
            for (var j = 0; j < p; j++) row[j] += dy[j];
        }
    }

    /// <summary>
    /// The backward of gates = LN(a) with gain γ and bias β (or of the identity without layer norm):
    /// gγ += d * x̂, gβ += d, and d becomes dL/da.
    /// </summary>
    public static void NormBackward(Span<T> d, ReadOnlySpan<T> hat, T rstd, ReadOnlySpan<T> gain, Span<T> gGain, Span<T> gBias)
    {
        for (var j = 0; j < d.Length; j++)
        {
            gGain[j] += d[j] * hat[j];
            gBias[j] += d[j];
            d[j] *= gain[j];
        }
        RowNorm.Backward(d, hat, rstd);
    }
}
