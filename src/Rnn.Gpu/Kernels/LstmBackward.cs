using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// LSTM backward epilogue (CPU twin: <c>src/Rnn.Cpu/Kernels/LstmBackward.cs</c>): all four gate
/// gradients of unit j in one pass, fused after the transposed product that brings dh from the
/// next step (dh(t) = dy(t) + W_hh^T dGates(t+1)). With a projection the product is W_hr^T dh
/// (dm) and <see cref="ProjectedStateGradientCell"/> has made dh in a launch before.
/// The cell-state gradient is carried per unit in <see cref="CellCarry"/>; a finished sequence
/// passes dh and dc through unchanged and has zero gate gradients.
/// </summary>
internal struct LstmBackwardCell : IBackwardCell
{
    public ArrayView<float> Gates;       // reserve [T, B, 4H]: i, f, g, o
    public ArrayView<float> Cells;       // reserve c slots [T+1, B, H]
    public ArrayView<float> PeepI, PeepF, PeepO; // [H] when Peepholes
    public StateGradient Dh;             // the carry [B, P]: gradient reaching h(t) other than through W_hh, and dy [T, B, D*P]
    public ArrayView<float> CellCarry;   // [B, H]: gradient reaching c(t) from step t+1
    public ArrayView<float> GateGradients; // out [T, B, 4H]
    public StateSlots Slots;
    public int Hidden, Peepholes, Projection;

    public readonly void Apply(int s, int t, int b, int j, bool active, float recurrent)
    {
        int h = Hidden, batch = Dh.Batch;
        var gateRow = (t * batch + b) * 4 * h + j;
        float dm;
        if (Projection == 0)
        {
            if (!Dh.Take(t, b, j, active, recurrent, out dm, out var carry))
            {
                ZeroGates(gateRow, h);
                return;
            }
            Dh.Carry(carry, 0f);
        }
        else
        {
            if (!active)
            {
                ZeroGates(gateRow, h);
                return;
            }
            dm = recurrent;
        }
        float i = Gates[gateRow], f = Gates[gateRow + h], g = Gates[gateRow + 2 * h], o = Gates[gateRow + 3 * h];
        var c = Cells[(Slots.Output(s, t) * batch + b) * h + j];
        var cPrev = Cells[(Slots.Previous(s, t) * batch + b) * h + j];
        var ci = b * h + j;
        var tc = GpuMath.Tanh(c);
        var dPreO = dm * tc * o * (1f - o);
        var dc = CellCarry[ci] + dm * o * (1f - tc * tc);
        if (Peepholes != 0) dc += dPreO * PeepO[j];
        var dPreI = dc * g * i * (1f - i);
        var dPreF = dc * cPrev * f * (1f - f);
        var dPreG = dc * i * (1f - g * g);
        var dcPrev = dc * f;
        if (Peepholes != 0) dcPrev += dPreI * PeepI[j] + dPreF * PeepF[j];
        GateGradients[gateRow] = dPreI;
        GateGradients[gateRow + h] = dPreF;
        GateGradients[gateRow + 2 * h] = dPreG;
        GateGradients[gateRow + 3 * h] = dPreO;
        CellCarry[ci] = dcPrev;
    }

    private readonly void ZeroGates(int gateRow, int h)
    {
        GateGradients[gateRow] = 0f;
        GateGradients[gateRow + h] = 0f;
        GateGradients[gateRow + 2 * h] = 0f;
        GateGradients[gateRow + 3 * h] = 0f;
    }
}

/// <summary>
/// With a projection: dh(t) [B, P] = dy(t) + W_hh^T dGates(t+1) + carry, kept per step for
/// dW_hr and read by the next launch (<see cref="LstmBackwardCell"/> with the W_hr product).
/// </summary>
internal struct ProjectedStateGradientCell : IBackwardCell
{
    public StateGradient Dh;                // the carry [B, P] and dy [T, B, D*P]
    public ArrayView<float> StateGradients; // out [T, B, P] (zero where inactive)

    public readonly void Apply(int s, int t, int b, int j, bool active, float recurrent)
    {
        var row = (t * Dh.Batch + b) * Dh.StateSize + j;
        if (Dh.Take(t, b, j, active, recurrent, out var dh, out var carry))
        {
            StateGradients[row] = dh;
            Dh.Carry(carry, 0f);
        }
        else StateGradients[row] = 0f;
    }
}

/// <summary>dh0 [B, P] = the last transposed product + the carry: the gradient of the initial state.</summary>
internal struct InitialStateGradientCell : IBackwardCell
{
    public ArrayView<float> StateCarry;   // [B, P]
    public ArrayView<float> Result;       // dh0 of this direction [B, P]
    public int StateSize;

    public readonly void Apply(int s, int t, int b, int j, bool active, float recurrent) =>
        Result[b * StateSize + j] = StateCarry[b * StateSize + j] + recurrent;
}

/// <summary>Peephole weight gradients: one thread per unit, summed over steps and rows in a fixed order.</summary>
internal static class LstmPeepholeGradients
{
    /// <summary>dw_ci[j] += Σ dPre_i c(t-1); dw_cf[j] += Σ dPre_f c(t-1); dw_co[j] += Σ dPre_o c(t).</summary>
    [Kernel]
    public static void Accumulate(PeepholeGradientArgs a)
    {
        ArrayView<float> gateGradients = a.GateGradients, cells = a.Cells, gradI = a.GradI, gradF = a.GradF, gradO = a.GradO;
        var slots = a.Slots;
        int batch = a.Batch, hidden = a.Hidden;
        for (var j = Grid.GlobalIndex.X; j < hidden; j += Grid.DimX * Group.DimX)
        {
            float si = 0, sf = 0, so = 0;
            for (var t = 0; t < slots.Steps; t++)
            {
                for (var b = 0; b < batch; b++)
                {
                    var gate = (t * batch + b) * 4 * hidden + j;
                    var cPrev = cells[(slots.Previous(t, t) * batch + b) * hidden + j];
                    var c = cells[(slots.Output(t, t) * batch + b) * hidden + j];
                    si += gateGradients[gate] * cPrev;
                    sf += gateGradients[gate + hidden] * cPrev;
                    so += gateGradients[gate + 3 * hidden] * c;
                }
            }
            gradI[j] += si;
            gradF[j] += sf;
            gradO[j] += so;
        }
    }
}

/// <summary>Gate gradients [T, B, 4H], cell slots [S, B, H] and the peephole gradients [H] they add to.</summary>
internal struct PeepholeGradientArgs
{
    public ArrayView<float> GateGradients, Cells, GradI, GradF, GradO;
    public StateSlots Slots;
    public int Batch, Hidden;
}
