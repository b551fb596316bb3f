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
    public GruForwardViews Views;

    public readonly void Apply(int s, int t, int b, int j, bool active, ArrayView<float> products, int index, int stride)
    {
        var h = Views.Hidden;
        var at = Views.State.At(s, t, b, j);
        var gateRow = Views.GateRow(t, b, j);
        if (!active)
        {
            Views.State.Keep(at);
            GruGates.Zero(Views.Gates, gateRow, h);
            return;
        }
        var x = Views.InputRow(t, b, j);
        var preR = Views.InputGates[x] + products[index];
        var preZ = Views.InputGates[x + h] + products[index + stride];
        var hn = products[index + 2 * stride];
        if (Views.HasBias != 0)
        {
            preR += Views.BiasHh[j];
            preZ += Views.BiasHh[h + j];
            hn += Views.BiasHh[2 * h + j];
        }
        var r = GpuMath.Sigmoid(preR);
        var z = GpuMath.Sigmoid(preZ);
        var n = GpuMath.Tanh(Views.InputGates[x + 2 * h] + r * hn);
        Views.Update(at, z, n);
        Views.Gates[gateRow] = r;
        Views.Gates[gateRow + h] = z;
        Views.Gates[gateRow + 2 * h] = n;
        Views.Gates[gateRow + 3 * h] = hn;
    }
}

/// <summary>
/// Reset before (Cho et al. 2014), first of two launches per step: the product covers the r and
/// z rows of W_hh; r = σ(x_r + W_hr h + b_hr), z = σ(x_z + W_hz h + b_hz), and r h(t-1) is
/// stored for the second launch's product with W_hn.
/// </summary>
internal struct GruResetGateCell : IForwardCell
{
    public GruForwardViews Views;

    public readonly void Apply(int s, int t, int b, int j, bool active, ArrayView<float> products, int index, int stride)
    {
        var h = Views.Hidden;
        var gateRow = Views.GateRow(t, b, j);
        if (!active)
        {
            GruGates.Zero(Views.Gates, gateRow, h);
            return;
        }
        var x = Views.InputRow(t, b, j);
        var preR = Views.InputGates[x] + products[index];
        var preZ = Views.InputGates[x + h] + products[index + stride];
        if (Views.HasBias != 0)
        {
            preR += Views.BiasHh[j];
            preZ += Views.BiasHh[h + j];
        }
        var r = GpuMath.Sigmoid(preR);
        Views.Gates[gateRow] = r;
        Views.Gates[gateRow + h] = GpuMath.Sigmoid(preZ);
        Views.Gates[gateRow + 3 * h] = r * Views.State.Previous(Views.State.At(s, t, b, j));
    }
}

/// <summary>
/// Reset before, second launch: the product is W_hn (r h(t-1)); n = tanh(x_n + that + b_hn),
/// h(t) = (1 - z) n + z h(t-1).
/// </summary>
internal struct GruCandidateCell : IForwardCell
{
    public GruForwardViews Views;

    public readonly void Apply(int s, int t, int b, int j, bool active, ArrayView<float> products, int index, int stride)
    {
        var at = Views.State.At(s, t, b, j);
        if (!active)
        {
            Views.State.Keep(at);
            return;
        }
        var h = Views.Hidden;
        var gateRow = Views.GateRow(t, b, j);
        var pre = Views.InputGates[Views.InputRow(t, b, j) + 2 * h] + products[index];
        if (Views.HasBias != 0) pre += Views.BiasHh[2 * h + j];
        var n = GpuMath.Tanh(pre);
        var z = Views.Gates[gateRow + h];
        Views.Gates[gateRow + 2 * h] = n;
        Views.Update(at, z, n);
    }
}

/// <summary>
/// What the GRU forward cells read and write, one set for a direction: the launches of a step
/// (one for reset after, two for reset before) each use their share.
/// </summary>
internal struct GruForwardViews
{
    public ArrayView<float> InputGates; // [T, B, 3H]: W_ih x + b_ih
    public ArrayView<float> BiasHh;     // [3H] when HasBias
    public ArrayView<float> Gates;      // [T or 1, B, 4H]
    public StateOutput State;           // h slots [S, B, H] and y [T, B, D*H]
    public int Hidden, HasBias;

    /// <summary>Unit j of row b in the gate storage of time t (four blocks of H).</summary>
    public readonly int GateRow(int t, int b, int j) => (State.Slots.GateBlock(t) * State.Batch + b) * 4 * Hidden + j;

    /// <summary>h(t) = (1 - z) n + z h(t-1), to the state slot and the output.</summary>
    public readonly void Update(StatePlace at, float z, float n) => State.Write(at, (1f - z) * n + z * State.Previous(at));

    /// <summary>Unit j of row b of time t in InputGates (three blocks of H).</summary>
    public readonly int InputRow(int t, int b, int j) => (t * State.Batch + b) * 3 * Hidden + j;
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
