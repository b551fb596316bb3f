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
    public StateOutput State;           // h slots [S, B, H] and y [T, B, D*H]
    public int Hidden, HasBias, Relu;

    public readonly void Apply(int s, int t, int b, int j, bool active, ArrayView<float> products, int index, int stride)
    {
        var at = State.At(s, t, b, j);
        if (!active)
        {
            State.Keep(at);
            return;
        }
        var pre = InputGates[(t * State.Batch + b) * Hidden + j] + products[index];
        if (HasBias != 0) pre += BiasHh[j];
        State.Write(at, Relu != 0 ? GpuMath.Relu(pre) : GpuMath.Tanh(pre));
    }
}
