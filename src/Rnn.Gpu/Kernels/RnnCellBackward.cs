using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// RNN backward epilogue (CPU twin: <c>src/Rnn.Cpu/Kernels/RnnCellBackward.cs</c>):
/// dh(t) = dy(t) + carry + W_hh^T dPre(t+1); dPre = dh act'(h(t)) with tanh' = 1 - h², relu' = [h &gt; 0].
/// </summary>
internal struct RnnBackwardCell : IBackwardCell
{
    public ArrayView<float> States;         // reserve h slots [T+1, B, H]
    public StateGradient Dh;                // the carry [B, H] and dy [T, B, D*H]
    public ArrayView<float> GateGradients;  // out [T, B, H]
    public StateSlots Slots;
    public int Hidden, Relu;

    public readonly void Apply(int s, int t, int b, int j, bool active, float recurrent)
    {
        var h = Hidden;
        var row = (t * Dh.Batch + b) * h + j;
        if (!Dh.Take(t, b, j, active, recurrent, out var dh, out var carry))
        {
            GateGradients[row] = 0f;
            return;
        }
        var a = States[(Slots.Output(s, t) * Dh.Batch + b) * h + j];
        GateGradients[row] = dh * (Relu != 0 ? (a > 0f ? 1f : 0f) : 1f - a * a);
        Dh.Carry(carry, 0f);
    }
}
