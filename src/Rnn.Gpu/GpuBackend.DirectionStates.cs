using GpuRnn.Gpu.Kernels;
using GpuRnn.Gpu.Rnn;
using ILGPU;

namespace GpuRnn.Gpu;

/// <summary>
/// Moving one direction's initial and final states between the caller's tensors [D, B, P] ([D, B, H]
/// for c) and a forward's state slots [T+1, B, P] (cells [T+1, B, H]), shared by every recurrent path.
/// </summary>
public sealed partial class GpuBackend
{
    /// <summary>h0 (and for an LSTM c0) of direction d into the initial slot; zeros where the caller gave none.</summary>
    private void LoadInitialStates(RecurrentCall call, int d, StateSlots slots, ArrayView<float> states, ArrayView<float> cells,
        Tensor? h0, Tensor? c0)
    {
        int batch = call.Batch, p = call.StateSize, h = call.Hidden;
        var initialH = states.SubView((long)slots.Initial * batch * p, (long)batch * p);
        if (h0 is null) FillView(initialH, 0);
        else CopyView(F(h0, nameof(h0)).SubView((long)d * batch * p, (long)batch * p), initialH);
        if (!call.Layer.HasCellState) return;
        var initialC = cells.SubView((long)slots.Initial * batch * h, (long)batch * h);
        if (c0 is null) FillView(initialC, 0);
        else CopyView(F(c0, nameof(c0)).SubView((long)d * batch * h, (long)batch * h), initialC);
    }

    /// <summary>The final slot into direction d of hN (and for an LSTM cN).</summary>
    private void StoreFinalStates(RecurrentCall call, int d, StateSlots slots, ArrayView<float> states, ArrayView<float> cells,
        Tensor hN, Tensor? cN)
    {
        int batch = call.Batch, p = call.StateSize, h = call.Hidden;
        CopyView(states.SubView((long)slots.Final * batch * p, (long)batch * p), F(hN, nameof(hN)).SubView((long)d * batch * p, (long)batch * p));
        if (call.Layer.HasCellState)
            CopyView(cells.SubView((long)slots.Final * batch * h, (long)batch * h), F(cN!, nameof(cN)).SubView((long)d * batch * h, (long)batch * h));
    }
}
