using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GpuRnn.Cpu.Kernels;

namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// The float32 backward through time of one direction for the layers <see cref="FusedForward"/>
/// handles (LSTM without projection, GRU reset after). The batch rows are split statically between
/// the threads as in the forward: each walks back through every step for its rows, the elementwise
/// gradient of the gates (<see cref="LstmStepBackward"/>, <see cref="GruStepBackward"/>) and then
/// dh(t-1) = dPre W_hh for those rows alone, with no synchronisation. The weight gradients, sums
/// over time and batch, come after in products and column sums whose threads split outputs, never
/// sums, so the result does not depend on the thread count.
/// </summary>
internal static unsafe class FusedBackward
{
    /// <summary>
    /// Backpropagates through the direction; returns dPre [T*B, G*H], the gradient of the input
    /// projection (rented from the pool: the caller returns it), after accumulating dW_hh and db_hh.
    /// </summary>
    public static float[] Run(BufferPool pool, in DirectionWeights<float> weights, in DirectionWeights<float> gradients,
        DirectionState<float> state, in DirectionIO<float> io, in DirectionGradIO<float> grad)
    {
        return PackedGemm.Wide
            ? Run<Vector512<float>, Lanes16>(pool, weights, gradients, state, io, grad)
            : Run<Vector256<float>, Lanes8>(pool, weights, gradients, state, io, grad);
    }

    private static float[] Run<TV, TL>(BufferPool pool, in DirectionWeights<float> weights, in DirectionWeights<float> gradients,
        DirectionState<float> state, in DirectionIO<float> io, in DirectionGradIO<float> grad)
        where TV : struct where TL : IFloatLanes<TV>
    {
        var layer = state.Layer;
        var lstm = layer.Cell == RnnCellKind.Lstm;
        int steps = state.Steps, batch = state.Batch, hidden = layer.HiddenSize, width = layer.GateCount * hidden, rows = steps * batch;
        var rented = new List<Array>();
        float[] Rent(int length, bool clear)
        {
            var array = clear ? pool.RentCleared<float>(length) : pool.Rent<float>(length);
            rented.Add(array);
            return array;
        }
        var dPre = pool.Rent<float>(rows * width);
        var whh = PackedMatrix.Pack(pool, weights.WeightHh.Span, hidden, false, width, hidden);
        using var dy = grad.DY.Whole.Pin();
        try
        {
            var plan = new Plan<TV, TL>(state, lstm, whh)
            {
                DPre = Address(dPre),
                // GRU: the hidden side's gradient differs from the input side's in the n block.
                DPreH = lstm ? null : Address(Rent(rows * width, clear: false)),
                DH = Address(Rent(batch * hidden, clear: true)),
                DHNext = Address(Rent(batch * hidden, clear: false)),
                DC = lstm ? Address(Rent(batch * hidden, clear: true)) : null,
                Zeros = Address(Rent(batch * hidden, clear: true)),
                DY = (float*)dy.Pointer + grad.DY.Offset,
                LdY = grad.DY.RowStride,
                WantsDh0 = !grad.DH0.IsEmpty,
                Peepholes = lstm && layer.Peepholes ? Address(PeepholeVectors(Rent(3 * hidden, clear: false), weights, hidden)) : null,
            };
            if (!grad.DHN.IsEmpty) grad.DHN.Span.CopyTo(new Span<float>(plan.DH, batch * hidden));
            if (lstm && !grad.DCN.IsEmpty) grad.DCN.Span.CopyTo(new Span<float>(plan.DC, batch * hidden));
            using var h0 = io.H0.Pin();
            using var c0 = io.C0.Pin();
            plan.H0 = io.H0.IsEmpty ? plan.Zeros : (float*)h0.Pointer;
            plan.C0 = io.C0.IsEmpty ? plan.Zeros : (float*)c0.Pointer;

            var tiles = (batch + PackedGemm.MR - 1) / PackedGemm.MR;
            var workers = Math.Min(CpuThreads.Count, tiles);
            if (workers <= 1) plan.Work(0, batch);
            else
            {
                Parallel.For(0, workers, w =>
                {
                    int first = tiles * w / workers * PackedGemm.MR, last = Math.Min(batch, tiles * (w + 1) / workers * PackedGemm.MR);
                    plan.Work(first, last);
                });
            }
            if (!grad.DH0.IsEmpty) new ReadOnlySpan<float>(plan.DH, batch * hidden).CopyTo(grad.DH0.Span);
            if (lstm && !grad.DC0.IsEmpty) new ReadOnlySpan<float>(plan.DC, batch * hidden).CopyTo(grad.DC0.Span);

            var dPreH = lstm ? dPre.AsSpan(0, rows * width) : new Span<float>(plan.DPreH, rows * width);
            HiddenWeightGradients(state, io, dPreH, gradients.WeightHh.Span);
            if (gradients.HasBias) BiasGradients(dPre.AsSpan(0, rows * width), dPreH, rows, hidden, lstm, gradients, Rent(width, clear: true));
            if (plan.Peepholes != null) PeepholeGradients<TV, TL>(state, io, dPre, gradients, plan.Zeros);
            return dPre;
        }
        catch
        {
            pool.Return(dPre);
            throw;
        }
        finally
        {
            whh.Return(pool);
            foreach (var array in rented) pool.Return(array);
        }
    }

    /// <summary>
    /// db_ih += Σ dPre_x and db_hh += Σ dPre_h over all rows, reading each gradient once: for LSTM
    /// the two are the same; for GRU they differ only in the n block.
    /// </summary>
    private static void BiasGradients(ReadOnlySpan<float> dPreX, ReadOnlySpan<float> dPreH, int rows, int hidden, bool lstm,
        in DirectionWeights<float> gradients, float[] sums)
    {
        var width = dPreX.Length / rows;
        var sumsX = sums.AsSpan(0, width);
        ColumnSums.Add(dPreX, rows, width, sumsX);
        Vectorized.Add<float>(sumsX, gradients.BiasIh.Span);
        var bhh = gradients.BiasHh.Span;
        if (lstm)
        {
            Vectorized.Add<float>(sumsX, bhh);
            return;
        }
        Vectorized.Add<float>(sumsX[..(2 * hidden)], bhh[..(2 * hidden)]);
        ColumnSums.Add(dPreH[(2 * hidden)..], rows, hidden, bhh[(2 * hidden)..], ld: width);
    }

    private static float* Address(float[] pooled)
    {
        fixed (float* p = pooled) return p; // pooled arrays are pinned
    }

    private static float[] PeepholeVectors(float[] into, in DirectionWeights<float> weights, int hidden)
    {
        weights.WeightCi.Span.CopyTo(into);
        weights.WeightCf.Span.CopyTo(into.AsSpan(hidden));
        weights.WeightCo.Span.CopyTo(into.AsSpan(2 * hidden));
        return into;
    }

    /// <summary>
    /// dW_hh += dPre_h^T h(t-1) over every step: the previous states are the reserve's H shifted by
    /// one step, so two products (the steps that follow another step, then the first step with h0) need no copy.
    /// </summary>
    private static void HiddenWeightGradients(DirectionState<float> state, in DirectionIO<float> io, ReadOnlySpan<float> dPreH, Span<float> dW)
    {
        int batch = state.Batch, hidden = state.Layer.HiddenSize, width = state.Layer.GateCount * hidden;
        int block = batch * hidden, later = (state.Steps - 1) * batch;
        // Forward: step t >= 1 started from H[t-1]; reverse: step t <= T-2 started from H[t+1].
        var dPreLater = state.Reverse ? dPreH[..(later * width)] : dPreH[(batch * width)..];
        var hEarlier = state.Reverse ? state.H.AsSpan(block, later * hidden) : state.H.AsSpan(0, later * hidden);
        if (later > 0) Gemm.Run<float>(dPreLater, true, hEarlier, false, dW, width, hidden, later, 1, 1);
        if (io.H0.IsEmpty) return;
        var first = state.Reverse ? dPreH[(later * width)..] : dPreH[..(batch * width)];
        Gemm.Run<float>(first, true, io.H0.Span, false, dW, width, hidden, batch, 1, 1);
    }

    /// <summary>dw_ci += Σ dPre_i c(t-1), dw_cf += Σ dPre_f c(t-1), dw_co += Σ dPre_o c(t), over steps in time order and rows in order.</summary>
    private static void PeepholeGradients<TV, TL>(DirectionState<float> state, in DirectionIO<float> io, float[] dPre,
        in DirectionWeights<float> gradients, float* zeros) where TV : struct where TL : IFloatLanes<TV>
    {
        int batch = state.Batch, hidden = state.Layer.HiddenSize;
        gradients.Peepholes(out var gci, out var gcf, out var gco);
        var c0 = io.C0;
        for (var t = 0; t < state.Steps; t++)
        {
            var step = state.Reverse ? state.Steps - 1 - t : t;
            var cNow = state.At(state.C, t, hidden);
            var cPrev = step == 0 ? (c0.IsEmpty ? new ReadOnlySpan<float>(zeros, batch * hidden) : c0.Span) : state.At(state.C, state.TimeAt(step - 1), hidden);
            for (var b = 0; b < batch; b++)
            {
                var row = dPre.AsSpan((t * batch + b) * 4 * hidden, 4 * hidden);
                Vectorized.MultiplyAdd<float>(row[..hidden], cPrev.Slice(b * hidden, hidden), gci);
                Vectorized.MultiplyAdd<float>(row.Slice(hidden, hidden), cPrev.Slice(b * hidden, hidden), gcf);
                Vectorized.MultiplyAdd<float>(row.Slice(3 * hidden, hidden), cNow.Slice(b * hidden, hidden), gco);
            }
        }
    }

    /// <summary>Everything a worker needs, as raw pointers into pinned memory.</summary>
    private sealed class Plan<TV, TL>(DirectionState<float> state, bool lstm, PackedMatrix whh) where TV : struct where TL : IFloatLanes<TV>
    {
        public float* DPre, DPreH, DH, DHNext, DC, Zeros, DY, H0, C0, Peepholes;
        public int LdY;
        public bool WantsDh0;

        /// <summary>Walks every step back for batch rows [first, last).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Work(int first, int last)
        {
            int steps = state.Steps, batch = state.Batch, hidden = state.Layer.HiddenSize, width = state.Layer.GateCount * hidden;
            var scratch = stackalloc float[TL.Count];
            float* dh = DH, dhNext = DHNext;
            fixed (float* gatesAll = state.Gates, hAll = state.H, cAll = state.C, extraAll = state.Extra)
            {
                for (var s = steps - 1; s >= 0; s--)
                {
                    var t = state.TimeAt(s);
                    long stepRows = (long)t * batch;
                    float* prev = s == 0 ? (lstm ? C0 : H0) : (lstm ? cAll : hAll) + (long)state.TimeAt(s - 1) * batch * hidden;
                    var dPre = DPre + stepRows * width;
                    var dPreH = lstm ? dPre : DPreH + stepRows * width;
                    for (var b = first; b < last; b++)
                    {
                        var row = (long)b * hidden;
                        var dPreRow = dPre + b * width;
                        var dPreHRow = dPreH + b * width;
                        if (!state.IsActive(t, b))
                        {
                            // Past the sequence's end: no gradient enters the gates; dh (and dc) pass through.
                            new Span<float>(dPreRow, width).Clear();
                            if (!lstm)
                            {
                                new Span<float>(dPreHRow, width).Clear();
                                new ReadOnlySpan<float>(dh + row, hidden).CopyTo(new Span<float>(dhNext + row, hidden));
                            }
                            continue;
                        }
                        var dhRow = new Span<float>(dh + row, hidden);
                        Vectorized.Add<float>(new ReadOnlySpan<float>(DY + (stepRows + b) * LdY, hidden), dhRow);
                        var gates = gatesAll + (stepRows + b) * width;
                        if (lstm)
                        {
                            LstmStepBackward.Row<TV, TL>(hidden, gates, cAll + (stepRows + b) * hidden, prev + row, dh + row, DC + row, dPreRow, Peepholes, scratch);
                        }
                        else
                        {
                            GruStepBackward.Row<TV, TL>(hidden, gates, prev + row, extraAll + (stepRows + b) * hidden, dh + row,
                                dPreRow, dPreHRow, dhNext + row, scratch);
                        }
                    }
                    // Nothing needs dh before the first step unless the caller asked for dh0.
                    if (s == 0 && !WantsDh0) continue;
                    // dh(t-1) for these rows: LSTM = dPre W_hh (then inactive rows pass dh through);
                    // GRU = dh z (already in place) + dPre_h W_hh, which adds nothing for inactive rows.
                    var stepSpan = new ReadOnlySpan<float>(dPreH, batch * width);
                    var dhNextSpan = new Span<float>(dhNext, batch * hidden);
                    PackedGemm.RunRows(stepSpan, width, false, whh, dhNextSpan, hidden, first, last, 1, lstm ? 0 : 1);
                    if (lstm)
                    {
                        for (var b = first; b < last; b++)
                        {
                            if (!state.IsActive(t, b)) new ReadOnlySpan<float>(dh + (long)b * hidden, hidden).CopyTo(new Span<float>(dhNext + (long)b * hidden, hidden));
                        }
                    }
                    var swap = dh;
                    dh = dhNext;
                    dhNext = swap;
                }
            }
            // After an odd number of steps the result sits in the other buffer; both workers agree on which.
            if (steps % 2 == 1)
            {
                var count = (last - first) * hidden;
                new ReadOnlySpan<float>(DHNext + (long)first * hidden, count).CopyTo(new Span<float>(DH + (long)first * hidden, count));
            }
        }
    }
}
