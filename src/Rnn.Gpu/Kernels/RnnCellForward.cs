using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// RNN forward epilogue (CPU twin: <c>src/Rnn.Cpu/Kernels/RnnCellForward.cs</c>):
/// h(t) = act(x + W_hh h(t-1) + b_hh) with act tanh or relu, x = W_ih x + b_ih.
/// </summary>
internal struct RnnForwardCell : IForwardCell
{
    public ArrayView<float> InputGates; // [T, B, H]
    public ArrayView<float> BiasHh;     // [H] when HasBias
    public ArrayView<float> States;     // h slots [S, B, H]
    public ArrayView<float> Output;     // y [T, B, D*H]
    public StateSlots Slots;
    public int Batch, Hidden, LdOutput, OutputOffset, HasBias, Relu;

    public readonly void Apply(int s, int t, int b, int j, bool active, ArrayView<float> products, int index, int stride)
    {
        int h = Hidden, prev = (Slots.Previous(s, t) * Batch + b) * h + j, next = (Slots.Output(s, t) * Batch + b) * h + j;
        var y = (t * Batch + b) * LdOutput + OutputOffset + j;
        if (!active)
        {
            States[next] = States[prev];
            Output[y] = 0f;
            return;
        }
        var pre = InputGates[(t * Batch + b) * h + j] + products[index];
        if (HasBias != 0) pre += BiasHh[j];
        var hNew = Relu != 0 ? GpuMath.Relu(pre) : GpuMath.Tanh(pre);
        States[next] = hNew;
        Output[y] = hNew;
    }
}
