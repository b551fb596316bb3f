using System.Numerics;
using GpuRnn.Cpu.Kernels;

namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// What both CPU recurrent paths share (<see cref="ReferenceRecurrentLayer{T}"/> and
/// <see cref="FusedRecurrentLayer"/>): the input projection, the previous-state lookup, the final
/// states and the input side of the weight gradients. The reference path's per-step cell math
/// lives in Kernels/{Lstm,Gru,RnnCell}{Forward,Backward}.cs.
/// </summary>
/// <remarks>
/// Variable lengths: at time t a sequence with t &gt;= its length keeps its state unchanged and
/// outputs zero. Forward in time this freezes the state after its last step; in reverse it keeps
/// h0 until the sequence's own last step, where the reverse direction starts. That is PyTorch's
/// packed-sequence semantics, with every step still a dense [B, ...] computation.
/// </remarks>
internal static class RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>gates [T*B, G*H] = x [T*B, I] W_ih^T + b_ih (+ b_hh when <paramref name="addHiddenBias"/>).</summary>
    public static void InputProjection(in DirectionWeights<T> w, DirectionState<T> state, ReadOnlySpan<T> x, bool addHiddenBias)
    {
        int rows = state.Steps * state.Batch, gh = state.Layer.GateCount * state.Layer.HiddenSize;
        Gemm.Run(x, false, w.WeightIh.Span, true, state.Gates, rows, gh, state.Layer.InputSize, T.One, T.Zero);
        if (!w.HasBias) return;
        var bias = w.BiasIh.Span;
        var hiddenBias = w.BiasHh.Span;
        for (var r = 0; r < rows; r++)
        {
            var row = state.Gates.AsSpan(r * gh, gh);
            Vectorized.Add(bias, row);
            if (addHiddenBias) Vectorized.Add(hiddenBias, row);
        }
    }

    /// <summary>The hidden state [B, P] before processing step s: h0 (or zeros) at s = 0.</summary>
    public static ReadOnlySpan<T> PreviousH(DirectionState<T> state, in DirectionIO<T> io, int s, T[] zeros)
    {
        var width = state.Layer.StateSize;
        if (s > 0) return state.At(state.H, state.TimeAt(s - 1), width);
        return io.H0.IsEmpty ? zeros.AsSpan(0, state.Batch * width) : io.H0.Span;
    }

    /// <summary>The cell state [B, H] before processing step s: c0 (or zeros) at s = 0.</summary>
    public static ReadOnlySpan<T> PreviousC(DirectionState<T> state, in DirectionIO<T> io, int s, T[] zeros)
    {
        var width = state.Layer.HiddenSize;
        if (s > 0) return state.At(state.C, state.TimeAt(s - 1), width);
        return io.C0.IsEmpty ? zeros.AsSpan(0, state.Batch * width) : io.C0.Span;
    }

    /// <summary>A zero buffer wide enough for any state of the layer.</summary>
    public static T[] Zeros(DirectionState<T> state) => new T[state.Batch * Math.Max(state.Layer.HiddenSize, state.Layer.StateSize)];

    /// <summary>[T*B, P]: for every step, the hidden state it started from (what dW_hh multiplies); rented from the state's pool.</summary>
    public static T[] PreviousHAll(DirectionState<T> state, in DirectionIO<T> io)
    {
        var width = state.Layer.StateSize;
        var all = state.Pool.Rent<T>(state.Steps * state.Batch * width);
        var zeros = Zeros(state);
        for (var s = 0; s < state.Steps; s++)
            PreviousH(state, io, s, zeros).CopyTo(all.AsSpan(state.TimeAt(s) * state.Batch * width));
        return all;
    }

    /// <summary>dh [B, width] for a backward through time, starting at dhN (zeros without), and a second buffer for the step before.</summary>
    public static (T[] Dh, T[] DhNext) CarriedGradient(in DirectionGradIO<T> grad, int size)
    {
        var dh = new T[size];
        if (!grad.DHN.IsEmpty) grad.DHN.Span.CopyTo(dh);
        return (dh, new T[size]);
    }

    /// <summary>
    /// dW_hh += dPre^T h(t-1) over every step for the first <paramref name="hiddenRows"/> gate rows
    /// (those whose products take h(t-1) itself), and db_hh += colsum(dPre), where dPre [T*B, width]
    /// is the gradient of the hidden projection.
    /// </summary>
    public static void HiddenGradients(DirectionState<T> state, in DirectionIO<T> io, in DirectionWeights<T> g, ReadOnlySpan<T> dPre, int width, int hiddenRows)
    {
        int rows = state.Steps * state.Batch, p = state.Layer.StateSize;
        var hPrevAll = PreviousHAll(state, io);
        Gemm.Run<T>(dPre, width, true, hPrevAll, p, false, g.WeightHh.Span, p, hiddenRows, p, rows, T.One, T.One);
        state.Pool.Return(hPrevAll);
        if (g.HasBias) ColumnSums(dPre, rows, width, g.BiasHh.Span);
    }

    /// <summary>Writes this direction's y row: the state where active, zero where not.</summary>
    public static void WriteOutput(DirectionState<T> state, in DirectionIO<T> io, int t)
    {
        int width = state.Layer.StateSize, batch = state.Batch;
        var h = state.At(state.H, t, width);
        for (var b = 0; b < batch; b++)
        {
            var y = io.Y.Row(t, b, batch, width);
            if (state.IsActive(t, b)) h.Slice(b * width, width).CopyTo(y);
            else y.Clear();
        }
    }

    /// <summary>Copies the last processed step's states to hN and cN.</summary>
    public static void WriteFinalStates(DirectionState<T> state, in DirectionIO<T> io)
    {
        var last = state.TimeAt(state.Steps - 1);
        state.At(state.H, last, state.Layer.StateSize).CopyTo(io.HN.Span);
        if (state.Layer.HasCellState) state.At(state.C, last, state.Layer.HiddenSize).CopyTo(io.CN.Span);
    }

    /// <summary>
    /// What every cell's backward ends with: dW_ih += dPre^T x, db_ih += colsum(dPre) (unless the
    /// cell's backward did it with db_hh), dx (+)= dPre W_ih, where dPre [T*B, G*H] is the gradient
    /// of the input projection.
    /// </summary>
    public static void InputGradients(RnnLayerDesc layer, in DirectionWeights<T> w, in DirectionWeights<T> g,
        ReadOnlySpan<T> x, ReadOnlySpan<T> dPre, int rows, Span<T> dx, bool accumulate, bool biasDone = false)
    {
        int gh = layer.GateCount * layer.HiddenSize, inputSize = layer.InputSize;
        Gemm.Run<T>(dPre, true, x, false, g.WeightIh.Span, gh, inputSize, rows, T.One, T.One);
        if (g.HasBias && !biasDone) ColumnSums(dPre, rows, gh, g.BiasIh.Span);
        if (!dx.IsEmpty) Gemm.Run<T>(dPre, false, w.WeightIh.Span, false, dx, rows, inputSize, gh, T.One, accumulate ? T.One : T.Zero);
    }

    /// <summary>sums[j] += the sum over rows of m[r, j], for a row-major [rows, width] block with row stride ld.</summary>
    public static void ColumnSums(ReadOnlySpan<T> m, int rows, int width, Span<T> sums, int ld = -1) => Kernels.ColumnSums.Add(m, rows, width, sums, ld);
}
