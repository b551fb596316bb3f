using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// GRU forward epilogues (CPU twin: <c>src/Rnn.Cpu/Kernels/GruForward.cs</c>). Gate storage per
/// step is [B, 4H]: r, z, n and a fourth block the backward needs: W_hn h + b_hn (reset after)
/// or r h(t-1) (reset before).
/// Reset after (PyTorch, cuDNN), one launch per step:
/// r = σ(x_r + W_hr h + b_hr), z = σ(x_z + W_hz h + b_hz), n = tanh(x_n + r (W_hn h + b_hn)),
/// h(t) = (1 - z) n + z h(t-1).
/// </summary>
internal struct GruResetAfterCell : IForwardCell
{
    public ArrayView<float> InputGates; // [T, B, 3H]: W_ih x + b_ih
    public ArrayView<float> BiasHh;     // [3H] when HasBias
    public ArrayView<float> States;     // h slots [S, B, H]
    public ArrayView<float> Gates;      // [T or 1, B, 4H]
    public ArrayView<float> Output;     // y [T, B, D*H]
    public StateSlots Slots;
    public int Batch, Hidden, LdOutput, OutputOffset, HasBias;

    public readonly void Apply(int s, int t, int b, int j, bool active, ArrayView<float> products, int index, int stride)
    {
        int h = Hidden, prev = (Slots.Previous(s, t) * Batch + b) * h + j, next = (Slots.Output(s, t) * Batch + b) * h + j;
        var gateRow = (Slots.GateBlock(t) * Batch + b) * 4 * h + j;
        var y = (t * Batch + b) * LdOutput + OutputOffset + j;
        if (!active)
        {
            States[next] = States[prev];
            Output[y] = 0f;
            GruGates.Zero(Gates, gateRow, h);
            return;
        }
        var x = (t * Batch + b) * 3 * h + j;
        var preR = InputGates[x] + products[index];
        var preZ = InputGates[x + h] + products[index + stride];
        var hn = products[index + 2 * stride];
        if (HasBias != 0)
        {
            preR += BiasHh[j];
            preZ += BiasHh[h + j];
            hn += BiasHh[2 * h + j];
        }
        var r = GpuMath.Sigmoid(preR);
        var z = GpuMath.Sigmoid(preZ);
        var n = GpuMath.Tanh(InputGates[x + 2 * h] + r * hn);
        var hNew = (1f - z) * n + z * States[prev];
        States[next] = hNew;
        Output[y] = hNew;
        Gates[gateRow] = r;
        Gates[gateRow + h] = z;
        Gates[gateRow + 2 * h] = n;
        Gates[gateRow + 3 * h] = hn;
    }
}

/// <summary>
/// Reset before (Cho et al. 2014), first of two launches per step: the product covers the r and
/// z rows of W_hh; r = σ(x_r + W_hr h + b_hr), z = σ(x_z + W_hz h + b_hz), and r h(t-1) is
/// stored for the second launch's product with W_hn.
/// </summary>
internal struct GruResetGateCell : IForwardCell
{
    public ArrayView<float> InputGates; // [T, B, 3H]
    public ArrayView<float> BiasHh;     // [3H] when HasBias
    public ArrayView<float> States;     // h slots [S, B, H]
    public ArrayView<float> Gates;      // [T or 1, B, 4H]
    public StateSlots Slots;
    public int Batch, Hidden, HasBias;

    public readonly void Apply(int s, int t, int b, int j, bool active, ArrayView<float> products, int index, int stride)
    {
        var h = Hidden;
        var gateRow = (Slots.GateBlock(t) * Batch + b) * 4 * h + j;
        if (!active)
        {
            GruGates.Zero(Gates, gateRow, h);
            return;
        }
        var x = (t * Batch + b) * 3 * h + j;
        var preR = InputGates[x] + products[index];
        var preZ = InputGates[x + h] + products[index + stride];
        if (HasBias != 0)
        {
            preR += BiasHh[j];
            preZ += BiasHh[h + j];
        }
        var r = GpuMath.Sigmoid(preR);
        Gates[gateRow] = r;
        Gates[gateRow + h] = GpuMath.Sigmoid(preZ);
        Gates[gateRow + 3 * h] = r * States[(Slots.Previous(s, t) * Batch + b) * h + j];
    }
}

/// <summary>
/// Reset before, second launch: the product is W_hn (r h(t-1)); n = tanh(x_n + that + b_hn),
/// h(t) = (1 - z) n + z h(t-1).
/// </summary>
internal struct GruCandidateCell : IForwardCell
{
    public ArrayView<float> InputGates; // [T, B, 3H]
    public ArrayView<float> BiasHh;     // [3H] when HasBias
    public ArrayView<float> States;     // h slots [S, B, H]
    public ArrayView<float> Gates;      // [T or 1, B, 4H]
    public ArrayView<float> Output;     // y [T, B, D*H]
    public StateSlots Slots;
    public int Batch, Hidden, LdOutput, OutputOffset, HasBias;

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
        var gateRow = (Slots.GateBlock(t) * Batch + b) * 4 * h + j;
        var pre = InputGates[(t * Batch + b) * 3 * h + 2 * h + j] + products[index];
        if (HasBias != 0) pre += BiasHh[2 * h + j];
        var n = GpuMath.Tanh(pre);
        var z = Gates[gateRow + h];
        var hNew = (1f - z) * n + z * States[prev];
        Gates[gateRow + 2 * h] = n;
        States[next] = hNew;
        Output[y] = hNew;
    }
}

/// <summary>Helpers shared by the GRU cells.</summary>
internal static class GruGates
{
    /// <summary>Zeroes the four gate blocks of one unit of one row (a finished sequence).</summary>
    public static void Zero(ArrayView<float> gates, int gateRow, int h)
    {
        gates[gateRow] = 0f;
        gates[gateRow + h] = 0f;
        gates[gateRow + 2 * h] = 0f;
        gates[gateRow + 3 * h] = 0f;
    }
}
