using GpuRnn.Gpu.Kernels;
using GpuRnn.Gpu.Rnn;
using ILGPU;

namespace GpuRnn.Gpu;

public sealed partial class GpuBackend
{
    /// <summary>GRU time loop: reset after in one fused launch per step (or one persistent launch), reset before in two.</summary>
    private void GruForward(RecurrentCall call, int d, DirectionWeightViews w, DirectionBuffers buffers, GpuRecurrentAlgorithm algorithm)
    {
        int h = call.Hidden, batch = call.Batch;
        var views = new GruForwardViews
        {
            InputGates = buffers.InputGates, BiasHh = OrUnused(w.BiasHh, w.WeightHh), Gates = buffers.Gates,
            State = ForwardState(call, d, buffers), Hidden = h, HasBias = w.HasBias ? 1 : 0,
        };
        if (call.Layer.GruVariant == GruVariant.ResetAfter)
        {
            var cell = new GruResetAfterCell { Views = views };
            if (TryPersistent(call, d, w.WeightHh, buffers.States, buffers.Slots, PersistentPass.Forward(cell), algorithm)) return;
            for (var s = 0; s < call.Steps; s++)
            {
                var t = call.TimeAt(d, s);
                ForwardStep(StateProduct(call, w.WeightHh, buffers, s, t, 0, 3), call.Mask, s, t, cell);
            }
            return;
        }

        var reset = new GruResetGateCell { Views = views };
        TryPersistent(call, d, w.WeightHh, buffers.States, buffers.Slots, PersistentPass.Forward(reset), algorithm);
        var candidate = new GruCandidateCell { Views = views };
        for (var s = 0; s < call.Steps; s++)
        {
            var t = call.TimeAt(d, s);
            ForwardStep(StateProduct(call, w.WeightHh, buffers, s, t, 0, 2), call.Mask, s, t, reset);
            // W_hn (r h(t-1)): r h(t-1) is the fourth block of this step's gate storage.
            var block = (long)buffers.Slots.GateBlock(t) * batch * 4 * h;
            var rh = new RecurrentProduct
            {
                Weight = w.WeightHh, Input = buffers.Gates.SubView(block + 3 * h, (long)batch * 4 * h - 3 * h),
                RowOffset = 2 * h, Gates = 1, GateStride = h, Units = h, K = h, LdInput = 4 * h, Batch = batch,
                UnitsPerGroup = RecurrentStep.UnitsPerGroup(1),
            };
            ForwardStep(rh, call.Mask, s, t, candidate);
        }
    }

    /// <summary>GRU BPTT: one fused launch per step (reset before: two), then the recurrent weight gradients.</summary>
    private void GruBackward(RecurrentCall call, int d, DirectionWeightViews w, DirectionWeightViews g, DirectionBuffers buffers,
        ArrayView<float> stateCarry, ArrayView<float> gateGradients, Tensor? dh0, GpuRecurrentAlgorithm algorithm)
    {
        int h = call.Hidden, batch = call.Batch, g3 = 3 * h;
        var previous = PreviousStates(call, d, buffers);
        var views = new GruBackwardViews
        {
            Gates = buffers.Gates, States = buffers.States, Dh = BackwardState(call, d, stateCarry), Slots = buffers.Slots, Hidden = h,
        };
        if (call.Layer.GruVariant == GruVariant.ResetAfter)
        {
            var hidden = _scratch.Floats(ScratchSlot.HiddenGateGradients, (long)call.Rows * g3);
            var cell = new GruResetAfterBackwardCell { Views = views, InputGateGradients = gateGradients, HiddenGateGradients = hidden };
            var persistent = TryPersistent(call, d, w.WeightHh, hidden, buffers.Slots, PersistentPass.Backward(cell), algorithm);
            for (var s = persistent ? -1 : call.Steps - 1; s >= 0; s--)
            {
                var t = call.TimeAt(d, s);
                BackwardStep(NextStepProduct(call, d, w.WeightHh, s, g3, h, hidden, g3), call.Mask, s, t, cell);
            }
            InitialStateGradient(call, d, w.WeightHh, g3, hidden, g3, stateCarry, dh0);
            GemmViews(hidden, true, g3, previous, false, h, g.WeightHh, h, g3, h, call.Rows, 1f, 1f);
            if (g.BiasHh.IsValid) SumRowsView(hidden, g.BiasHh, call.Rows, g3, 1f);
            return;
        }

        var update = new GruUpdateBackwardCell { Views = views, GateGradients = gateGradients };
        if (algorithm == GpuRecurrentAlgorithm.Persistent)
            throw new InvalidOperationException("the persistent backward does not serve a reset-before GRU (two products per step)");
        var reset = new GruResetBackwardCell { Views = views, GateGradients = gateGradients };
        for (var s = call.Steps - 1; s >= 0; s--)
        {
            var t = call.TimeAt(d, s);
            BackwardStep(NextStepProduct(call, d, w.WeightHh, s, 2 * h, h, gateGradients, g3), call.Mask, s, t, update);
            var rh = new TransposedProduct
            {
                Weight = w.WeightHh, Vector = gateGradients.SubView((long)t * batch * g3, (long)batch * g3),
                RowOffset = 2 * h, Rows = h, Ld = h, Units = h, LdVector = g3, VectorOffset = 2 * h, Batch = batch,
            };
            BackwardStep(rh, call.Mask, s, t, reset);
        }
        InitialStateGradient(call, d, w.WeightHh, 2 * h, gateGradients, g3, stateCarry, dh0);
        // r and z rows of dW_hh multiply h(t-1); the n rows multiply r h(t-1), kept in the gate storage.
        GemmViews(gateGradients, true, g3, previous, false, h, g.WeightHh, h, 2 * h, h, call.Rows, 1f, 1f);
        GemmViews(gateGradients.SubView(2 * h), true, g3, buffers.Gates.SubView(3 * h), false, 4 * h,
            g.WeightHh.SubView(2L * h * h), h, h, h, call.Rows, 1f, 1f);
        if (g.BiasHh.IsValid) SumRowsView(gateGradients, g.BiasHh, call.Rows, g3, 1f);
    }
}
