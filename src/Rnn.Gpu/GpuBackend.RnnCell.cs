using GpuRnn.Gpu.Kernels;
using GpuRnn.Gpu.Rnn;
using ILGPU;

namespace GpuRnn.Gpu;

public sealed partial class GpuBackend
{
    /// <summary>RNN time loop: one fused launch per step, or one persistent launch.</summary>
    private void RnnCellForward(RecurrentCall call, int d, DirectionWeightViews w, DirectionBuffers buffers, GpuRecurrentAlgorithm algorithm)
    {
        var cell = new RnnForwardCell
        {
            InputGates = buffers.InputGates, BiasHh = OrUnused(w.BiasHh, w.WeightHh), State = ForwardState(call, d, buffers),
            Hidden = call.Hidden, HasBias = w.HasBias ? 1 : 0, Relu = call.Layer.Cell == RnnCellKind.RnnRelu ? 1 : 0,
        };
        if (TryPersistent(call, d, w.WeightHh, buffers.States, buffers.Slots, PersistentPass.Forward(cell), algorithm)) return;
        for (var s = 0; s < call.Steps; s++)
        {
            var t = call.TimeAt(d, s);
            ForwardStep(StateProduct(call, w.WeightHh, buffers, s, t, 0, 1), call.Mask, s, t, cell);
        }
    }

    /// <summary>RNN BPTT: one fused launch per step, then the recurrent weight gradients.</summary>
    private void RnnCellBackward(RecurrentCall call, int d, DirectionWeightViews w, DirectionWeightViews g, DirectionBuffers buffers,
        ArrayView<float> stateCarry, ArrayView<float> gateGradients, Tensor? dh0, GpuRecurrentAlgorithm algorithm)
    {
        var h = call.Hidden;
        var cell = new RnnBackwardCell
        {
            States = buffers.States, Dh = BackwardState(call, d, stateCarry), GateGradients = gateGradients,
            Slots = buffers.Slots, Hidden = h, Relu = call.Layer.Cell == RnnCellKind.RnnRelu ? 1 : 0,
        };
        var persistent = TryPersistent(call, d, w.WeightHh, gateGradients, buffers.Slots, PersistentPass.Backward(cell), algorithm);
        for (var s = persistent ? -1 : call.Steps - 1; s >= 0; s--)
        {
            var t = call.TimeAt(d, s);
            BackwardStep(NextStepProduct(call, d, w.WeightHh, s, h, h, gateGradients, h), call.Mask, s, t, cell);
        }
        InitialStateGradient(call, d, w.WeightHh, h, gateGradients, h, stateCarry, dh0);
        GemmViews(gateGradients, true, h, PreviousStates(call, d, buffers), false, h, g.WeightHh, h, h, h, call.Rows, 1f, 1f);
        if (g.BiasHh.IsValid) SumRowsView(gateGradients, g.BiasHh, call.Rows, h, 1f);
    }
}
