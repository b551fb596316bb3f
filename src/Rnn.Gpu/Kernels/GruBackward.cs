using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// GRU reset-after backward epilogue (CPU twin: <c>src/Rnn.Cpu/Kernels/GruBackward.cs</c>), after
/// dh(t) = dy(t) + carry + W_hh^T dHidden(t+1): dPre_n = dh (1 - z)(1 - n²),
/// dPre_z = dh (h(t-1) - n) z (1 - z), dPre_r = dPre_n hn r (1 - r). The input projection's
/// gradient is (dPre_r, dPre_z, dPre_n); the hidden projection's n block is dPre_n r. dh z goes
/// straight to h(t-1) through the carry.
/// </summary>
internal struct GruResetAfterBackwardCell : IBackwardCell
{
    public ArrayView<float> Gates;          // reserve [T, B, 4H]: r, z, n, W_hn h + b_hn
    public ArrayView<float> States;         // reserve h slots [T+1, B, H]
    public ArrayView<float> OutputGradient; // dy [T, B, D*H]
    public ArrayView<float> StateCarry;     // [B, H]
    public ArrayView<float> InputGateGradients;  // out [T, B, 3H]
    public ArrayView<float> HiddenGateGradients; // out [T, B, 3H]
    public StateSlots Slots;
    public int Batch, Hidden, LdOutput, OutputOffset;

    public readonly void Apply(int s, int t, int b, int j, bool active, float recurrent)
    {
        var h = Hidden;
        var ci = b * h + j;
        var dh = StateCarry[ci] + recurrent;
        var row = (t * Batch + b) * 3 * h + j;
        if (!active)
        {
            StateCarry[ci] = dh;
            GruGradients.Zero(InputGateGradients, row, h);
            GruGradients.Zero(HiddenGateGradients, row, h);
            return;
        }
        dh += OutputGradient[(t * Batch + b) * LdOutput + OutputOffset + j];
        var gateRow = (t * Batch + b) * 4 * h + j;
        float r = Gates[gateRow], z = Gates[gateRow + h], n = Gates[gateRow + 2 * h], hn = Gates[gateRow + 3 * h];
        var hPrev = States[(Slots.Previous(s, t) * Batch + b) * h + j];
        var dPreN = dh * (1f - z) * (1f - n * n);
        var dPreZ = dh * (hPrev - n) * z * (1f - z);
        var dPreR = dPreN * hn * r * (1f - r);
        InputGateGradients[row] = dPreR;
        InputGateGradients[row + h] = dPreZ;
        InputGateGradients[row + 2 * h] = dPreN;
        HiddenGateGradients[row] = dPreR;
        HiddenGateGradients[row + h] = dPreZ;
        HiddenGateGradients[row + 2 * h] = dPreN * r;
        StateCarry[ci] = dh * z;
    }
}

/// <summary>
/// GRU reset-before backward, first of two launches per step: the product is W_h{r,z}^T
/// dPre_{r,z}(t+1); dh(t) = dy + carry + that gives dPre_z and dPre_n; dh z goes to the carry.
/// </summary>
internal struct GruUpdateBackwardCell : IBackwardCell
{
    public ArrayView<float> Gates;          // reserve [T, B, 4H]: r, z, n, r h(t-1)
    public ArrayView<float> States;         // reserve h slots [T+1, B, H]
    public ArrayView<float> OutputGradient; // dy [T, B, D*H]
    public ArrayView<float> StateCarry;     // [B, H]
    public ArrayView<float> GateGradients;  // out [T, B, 3H]
    public StateSlots Slots;
    public int Batch, Hidden, LdOutput, OutputOffset;

    public readonly void Apply(int s, int t, int b, int j, bool active, float recurrent)
    {
        var h = Hidden;
        var ci = b * h + j;
        var dh = StateCarry[ci] + recurrent;
        var row = (t * Batch + b) * 3 * h + j;
        if (!active)
        {
            StateCarry[ci] = dh;
            GruGradients.Zero(GateGradients, row, h);
            return;
        }
        dh += OutputGradient[(t * Batch + b) * LdOutput + OutputOffset + j];
        var gateRow = (t * Batch + b) * 4 * h + j;
        float z = Gates[gateRow + h], n = Gates[gateRow + 2 * h];
        var hPrev = States[(Slots.Previous(s, t) * Batch + b) * h + j];
        GateGradients[row + h] = dh * (hPrev - n) * z * (1f - z);
        GateGradients[row + 2 * h] = dh * (1f - z) * (1f - n * n);
        StateCarry[ci] = dh * z;
    }
}

/// <summary>
/// GRU reset-before backward, second launch: the product is d(r h) = W_hn^T dPre_n(t);
/// dPre_r = d(r h) h(t-1) r (1 - r), and d(r h) r goes to h(t-1) through the carry.
/// </summary>
internal struct GruResetBackwardCell : IBackwardCell
{
    public ArrayView<float> Gates;          // reserve [T, B, 4H]
    public ArrayView<float> States;         // reserve h slots [T+1, B, H]
    public ArrayView<float> StateCarry;     // [B, H]
    public ArrayView<float> GateGradients;  // [T, B, 3H]: writes the r block
    public StateSlots Slots;
    public int Batch, Hidden;

    public readonly void Apply(int s, int t, int b, int j, bool active, float recurrent)
    {
        if (!active) return;
        var h = Hidden;
        var r = Gates[(t * Batch + b) * 4 * h + j];
        var hPrev = States[(Slots.Previous(s, t) * Batch + b) * h + j];
        GateGradients[(t * Batch + b) * 3 * h + j] = recurrent * hPrev * r * (1f - r);
        StateCarry[b * h + j] += recurrent * r;
    }
}

/// <summary>Helpers shared by the GRU backward cells.</summary>
internal static class GruGradients
{
    /// <summary>Zeroes the three gate-gradient blocks of one unit of one row.</summary>
    public static void Zero(ArrayView<float> gradients, int row, int h)
    {
        gradients[row] = 0f;
        gradients[row + h] = 0f;
        gradients[row + 2 * h] = 0f;
    }
}
