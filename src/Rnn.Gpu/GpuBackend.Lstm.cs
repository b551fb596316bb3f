using GpuRnn.Gpu.Kernels;
using GpuRnn.Gpu.Rnn;
using ILGPU;

namespace GpuRnn.Gpu;

public sealed partial class GpuBackend
{
    /// <summary>LSTM time loop: one fused launch per step (a second for the projection), or one persistent launch.</summary>
    private void LstmForward(RecurrentCall call, int d, DirectionWeightViews w, DirectionBuffers buffers, GpuRecurrentAlgorithm algorithm)
    {
        int h = call.Hidden, p = call.StateSize, batch = call.Batch;
        var projection = call.Layer.ProjSize > 0;
        var cell = new LstmForwardCell
        {
            InputGates = buffers.InputGates,
            BiasHh = OrUnused(w.BiasHh, w.WeightHh),
            PeepI = OrUnused(w.PeepI, w.WeightHh),
            PeepF = OrUnused(w.PeepF, w.WeightHh),
            PeepO = OrUnused(w.PeepO, w.WeightHh),
            Cells = buffers.Cells, Gates = buffers.Gates, Projected = buffers.Projected, State = ForwardState(call, d, buffers), Hidden = h,
            HasBias = w.HasBias ? 1 : 0, Peepholes = call.Layer.Peepholes ? 1 : 0, Projection = projection ? 1 : 0,
        };
        if (TryPersistent(call, d, w.WeightHh, buffers.States, buffers.Slots, PersistentPass.Forward(cell), algorithm)) return;
        var project = new LstmProjectionCell { State = ForwardState(call, d, buffers) };
        for (var s = 0; s < call.Steps; s++)
        {
            var t = call.TimeAt(d, s);
            ForwardStep(StateProduct(call, w.WeightHh, buffers, s, t, 0, 4), call.Mask, s, t, cell);
            if (!projection) continue;
            var m = new RecurrentProduct
            {
                Weight = w.WeightHr,
                Input = buffers.Projected.SubView((long)buffers.Slots.GateBlock(t) * batch * h, (long)batch * h),
                RowOffset = 0, Gates = 1, GateStride = 0, Units = p, K = h, LdInput = h, Batch = batch,
                UnitsPerGroup = RecurrentStep.UnitsPerGroup(1),
            };
            ForwardStep(m, call.Mask, s, t, project);
        }
    }

    /// <summary>LSTM BPTT: one fused launch per step (two with a projection), then the recurrent weight gradients.</summary>
    private void LstmBackward(RecurrentCall call, int d, DirectionWeightViews w, DirectionWeightViews g, DirectionBuffers buffers,
        ArrayView<float> stateCarry, ArrayView<float> cellCarry, ArrayView<float> gateGradients, Tensor? dh0, GpuRecurrentAlgorithm algorithm)
    {
        int h = call.Hidden, p = call.StateSize, batch = call.Batch, g4 = 4 * h;
        var projection = call.Layer.ProjSize > 0;
        var peepholes = call.Layer.Peepholes;
        var stateGradients = projection ? _scratch.Floats(ScratchSlot.ProjectedGradients, (long)call.Rows * p) : gateGradients;
        var cell = new LstmBackwardCell
        {
            Gates = buffers.Gates, Cells = buffers.Cells,
            PeepI = OrUnused(w.PeepI, w.WeightHh), PeepF = OrUnused(w.PeepF, w.WeightHh), PeepO = OrUnused(w.PeepO, w.WeightHh),
            Dh = BackwardState(call, d, stateCarry), CellCarry = cellCarry, GateGradients = gateGradients,
            Slots = buffers.Slots, Hidden = h, Peepholes = peepholes ? 1 : 0, Projection = projection ? 1 : 0,
        };
        var state = new ProjectedStateGradientCell { Dh = BackwardState(call, d, stateCarry), StateGradients = stateGradients };
        var persistent = TryPersistent(call, d, w.WeightHh, gateGradients, buffers.Slots, PersistentPass.Backward(cell), algorithm);
        for (var s = persistent ? -1 : call.Steps - 1; s >= 0; s--)
        {
            var t = call.TimeAt(d, s);
            var next = NextStepProduct(call, d, w.WeightHh, s, g4, projection ? p : h, gateGradients, g4);
            if (!projection)
            {
                BackwardStep(next, call.Mask, s, t, cell);
                continue;
            }
            BackwardStep(next, call.Mask, s, t, state);
            var dm = new TransposedProduct
            {
                Weight = w.WeightHr, Vector = stateGradients.SubView((long)t * batch * p, (long)batch * p),
                RowOffset = 0, Rows = p, Ld = h, Units = h, LdVector = p, VectorOffset = 0, Batch = batch,
            };
            BackwardStep(dm, call.Mask, s, t, cell);
        }
        InitialStateGradient(call, d, w.WeightHh, g4, gateGradients, g4, stateCarry, dh0);

        GemmViews(gateGradients, true, g4, PreviousStates(call, d, buffers), false, p, g.WeightHh, p, g4, p, call.Rows, 1f, 1f);
        if (g.BiasHh.IsValid) SumRowsView(gateGradients, g.BiasHh, call.Rows, g4, 1f);
        if (projection)
            GemmViews(stateGradients, true, p, buffers.Projected, false, h, g.WeightHr, h, p, h, call.Rows, 1f, 1f);
        if (peepholes)
            Launch(LstmPeepholeGradients.Accumulate, _shapes.Linear(h), new PeepholeGradientArgs
            {
                GateGradients = gateGradients, Cells = buffers.Cells, GradI = g.PeepI, GradF = g.PeepF, GradO = g.PeepO,
                Slots = buffers.Slots, Batch = batch, Hidden = h,
            });
    }
}
