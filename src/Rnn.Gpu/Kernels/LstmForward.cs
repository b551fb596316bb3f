using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// LSTM forward epilogue (CPU twin: <c>src/Rnn.Cpu/Kernels/LstmForward.cs</c>), fused after the
/// recurrent product of <see cref="RecurrentStep.Forward{TCell}"/> or the persistent kernel:
/// i = σ(x_i + r_i + b_hi [+ w_ci c(t-1)]), f likewise, g = tanh(x_g + r_g + b_hg),
/// c(t) = f c(t-1) + i g, o = σ(x_o + r_o + b_ho [+ w_co c(t)]), m = o tanh(c(t)),
/// where x = W_ih x + b_ih (one GEMM for all steps) and r = W_hh h(t-1). Without a projection
/// h(t) = m; with one, m goes to <see cref="Projected"/> and <see cref="LstmProjectionCell"/> makes h(t) = W_hr m.
/// </summary>
internal struct LstmForwardCell : IForwardCell
{
    public ArrayView<float> InputGates;  // [T, B, 4H]: W_ih x + b_ih
    public ArrayView<float> BiasHh;      // [4H] when HasBias
    public ArrayView<float> PeepI, PeepF, PeepO; // [H] when Peepholes
    public ArrayView<float> Cells;       // c slots [S, B, H]
    public ArrayView<float> Gates;       // reserve [T, B, 4H] (i, f, g, o) when training, else [B, 4H] scratch
    public ArrayView<float> Projected;   // m [T or 1, B, H] when Projection
    public StateOutput State;            // h slots [S, B, P] and y [T, B, D*P], without a projection
    public int Hidden, HasBias, Peepholes, Projection;

    public readonly void Apply(int s, int t, int b, int j, bool active, ArrayView<float> products, int index, int stride)
    {
        var slots = State.Slots;
        int h = Hidden, batch = State.Batch, prev = slots.Previous(s, t), next = slots.Output(s, t);
        var cPrev = Cells[(prev * batch + b) * h + j];
        var gateRow = (slots.GateBlock(t) * batch + b) * 4 * h + j;
        var mIndex = (slots.GateBlock(t) * batch + b) * h + j;
        if (!active)
        {
            // A finished sequence keeps its state and outputs zero.
            Cells[(next * batch + b) * h + j] = cPrev;
            Gates[gateRow] = 0f;
            Gates[gateRow + h] = 0f;
            Gates[gateRow + 2 * h] = 0f;
            Gates[gateRow + 3 * h] = 0f;
            if (Projection != 0) Projected[mIndex] = 0f;
            else State.Keep(State.At(prev, next, t, b, j));
            return;
        }
        var x = (t * batch + b) * 4 * h + j;
        var preI = InputGates[x] + products[index];
        var preF = InputGates[x + h] + products[index + stride];
        var preG = InputGates[x + 2 * h] + products[index + 2 * stride];
        var preO = InputGates[x + 3 * h] + products[index + 3 * stride];
        if (HasBias != 0)
        {
            preI += BiasHh[j];
            preF += BiasHh[h + j];
            preG += BiasHh[2 * h + j];
            preO += BiasHh[3 * h + j];
        }
        if (Peepholes != 0)
        {
            preI += PeepI[j] * cPrev;
            preF += PeepF[j] * cPrev;
        }
        var i = GpuMath.Sigmoid(preI);
        var f = GpuMath.Sigmoid(preF);
        var g = GpuMath.Tanh(preG);
        var c = f * cPrev + i * g;
        if (Peepholes != 0) preO += PeepO[j] * c;
        var o = GpuMath.Sigmoid(preO);
        var m = o * GpuMath.Tanh(c);
        Cells[(next * batch + b) * h + j] = c;
        Gates[gateRow] = i;
        Gates[gateRow + h] = f;
        Gates[gateRow + 2 * h] = g;
        Gates[gateRow + 3 * h] = o;
        if (Projection != 0) Projected[mIndex] = m;
        else State.Write(State.At(prev, next, t, b, j), m);
    }
}

/// <summary>
/// LSTM projection epilogue: h(t) = W_hr m (the product is the whole computation), written to
/// the state slot and the output; a finished sequence keeps h and outputs zero.
/// </summary>
internal struct LstmProjectionCell : IForwardCell
{
    public StateOutput State; // h slots [S, B, P] and y [T, B, D*P]

    public readonly void Apply(int s, int t, int b, int j, bool active, ArrayView<float> products, int index, int stride)
    {
        var at = State.At(s, t, b, j);
        if (active) State.Write(at, products[index]);
        else State.Keep(at);
    }
}
