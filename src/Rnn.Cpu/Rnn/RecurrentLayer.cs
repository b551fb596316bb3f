using System.Numerics;
using System.Runtime.CompilerServices;
using GpuRnn.Cpu.Kernels;

namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// Runs one recurrent layer, every direction, over the whole sequence on the CPU: the parts all
/// cells share (input projection, previous-state lookup, final states, weight gradients). The
/// per-step cell math lives in Kernels/{Lstm,Gru,Elman}{Forward,Backward}.cs.
/// </summary>
/// <remarks>
/// Variable lengths: at time t a sequence with t &gt;= its length keeps its state unchanged and
/// outputs zero. Forward in time this freezes the state after its last step; in reverse it keeps
/// h0 until the sequence's own last step, where the reverse direction starts. That is PyTorch's
/// packed-sequence semantics, with every step still a dense [B, ...] computation.
/// </remarks>
internal static class RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static CpuRnnReserve<T>? Forward(CpuBackend backend, RnnLayerDesc layer, DirectionWeights<T>[] weights,
        DirectionIO<T>[] io, int steps, int batch, int[]? lengths, bool training)
    {
        var states = new DirectionState<T>[layer.Directions];
        for (var d = 0; d < layer.Directions; d++)
        {
            if (typeof(T) == typeof(float) && FusedForward.Supports(layer))
            {
                // Inference keeps no per-step state at all on this path.
                var reserve = training ? new DirectionState<float>(backend.Pool, layer, steps, batch, d, lengths) : null;
                FusedForward.Run(backend.Pool, backend.PackedWeights, layer, Unsafe.As<DirectionWeights<T>, DirectionWeights<float>>(ref weights[d]),
                    Unsafe.As<DirectionIO<T>, DirectionIO<float>>(ref io[d]), steps, batch, d == 1, lengths, reserve);
                states[d] = (DirectionState<T>)(object)reserve!;
                continue;
            }
            var state = new DirectionState<T>(backend.Pool, layer, steps, batch, d, lengths);
            switch (layer.Cell)
            {
                case RnnCellKind.Lstm: LstmForward.Run(weights[d], state, io[d]); break;
                case RnnCellKind.Gru: GruForward.Run(weights[d], state, io[d]); break;
                default: ElmanForward.Run(weights[d], state, io[d]); break;
            }
            WriteFinalStates(state, io[d]);
            if (training) states[d] = state;
            else state.Dispose();
        }
        return training ? new CpuRnnReserve<T>(backend, layer, steps, batch, states) : null;
    }

    public static void Backward(RnnLayerDesc layer, DirectionWeights<T>[] weights, DirectionWeights<T>[] gradients,
        CpuRnnReserve<T> reserve, Memory<T> x, DirectionIO<T>[] io, DirectionGradIO<T>[] grad, Memory<T> dx)
    {
        var pool = ((CpuBackend)reserve.Backend).Pool;
        for (var d = 0; d < layer.Directions; d++)
        {
            var state = reserve.Directions[d];
            var rows = state.Steps * state.Batch;
            var width = layer.GateCount * layer.HiddenSize;
            if (typeof(T) == typeof(float) && FusedForward.Supports(layer))
            {
                var fused = FusedBackward.Run(pool, Unsafe.As<DirectionWeights<T>, DirectionWeights<float>>(ref weights[d]),
                    Unsafe.As<DirectionWeights<T>, DirectionWeights<float>>(ref gradients[d]), (DirectionState<float>)(object)state,
                    Unsafe.As<DirectionIO<T>, DirectionIO<float>>(ref io[d]), Unsafe.As<DirectionGradIO<T>, DirectionGradIO<float>>(ref grad[d]));
                InputGradients(layer, weights[d], gradients[d], x.Span, ((T[])(object)fused).AsSpan(0, rows * width), rows, dx.Span,
                    accumulate: d > 0, biasDone: true);
                pool.Return(fused);
                continue;
            }
            var dPre = layer.Cell switch
            {
                RnnCellKind.Lstm => LstmBackward.Run(weights[d], gradients[d], state, io[d], grad[d]),
                RnnCellKind.Gru => GruBackward.Run(weights[d], gradients[d], state, io[d], grad[d]),
                _ => ElmanBackward.Run(weights[d], gradients[d], state, io[d], grad[d]),
            };
            InputGradients(layer, weights[d], gradients[d], x.Span, dPre.AsSpan(0, rows * width), rows, dx.Span, accumulate: d > 0);
            pool.Return(dPre);
        }
    }

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

    /// <summary>Writes this direction's y row: the state where active, zero where not.</summary>
    public static void WriteOutput(DirectionState<T> state, in DirectionIO<T> io, int t)
    {
        int width = state.Layer.StateSize, batch = state.Batch;
        var h = state.At(state.H, t, width);
        for (var b = 0; b < batch; b++)
        {
            var y = io.YRow(t, b, batch, width);
            if (state.IsActive(t, b)) h.Slice(b * width, width).CopyTo(y);
            else y.Clear();
        }
    }

    private static void WriteFinalStates(DirectionState<T> state, in DirectionIO<T> io)
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
    private static void InputGradients(RnnLayerDesc layer, in DirectionWeights<T> w, in DirectionWeights<T> g,
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
