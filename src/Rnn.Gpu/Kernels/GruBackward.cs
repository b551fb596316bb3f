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
    public GruBackwardViews Views;
    public ArrayView<float> InputGateGradients;  // out [T, B, 3H]
    public ArrayView<float> HiddenGateGradients; // out [T, B, 3H]

    public readonly void Apply(int s, int t, int b, int j, bool active, float recurrent)
    {
        var h = Views.Hidden;
        var row = Views.GradientRow(t, b, j);
        if (!Views.UpdateGradients(s, t, b, j, active, recurrent, out var dPreZ, out var dPreN))
        {
            GruGradients.Zero(InputGateGradients, row, h);
            GruGradients.Zero(HiddenGateGradients, row, h);
            return;
        }
        var gateRow = Views.GateRow(t, b, j);
        float r = Views.Gates[gateRow], hn = Views.Gates[gateRow + 3 * h];
        var dPreR = dPreN * hn * r * (1f - r);
        InputGateGradients[row] = dPreR;
        InputGateGradients[row + h] = dPreZ;
        InputGateGradients[row + 2 * h] = dPreN;
        HiddenGateGradients[row] = dPreR;
        HiddenGateGradients[row + h] = dPreZ;
        HiddenGateGradients[row + 2 * h] = dPreN * r;
    }
}

/// <summary>
/// GRU reset-before backward, first of two launches per step: the product is W_h{r,z}^T
/// dPre_{r,z}(t+1); dh(t) = dy + carry + that gives dPre_z and dPre_n; dh z goes to the carry.
/// </summary>
internal struct GruUpdateBackwardCell : IBackwardCell
{
    public GruBackwardViews Views;
    public ArrayView<float> GateGradients;  // out [T, B, 3H]

    public readonly void Apply(int s, int t, int b, int j, bool active, float recurrent)
    {
        var row = Views.GradientRow(t, b, j);
        if (Views.UpdateGradients(s, t, b, j, active, recurrent, out var dPreZ, out var dPreN))
        {
            GateGradients[row + Views.Hidden] = dPreZ;
            GateGradients[row + 2 * Views.Hidden] = dPreN;
        }
        else GruGradients.Zero(GateGradients, row, Views.Hidden);
    }
}

/// <summary>
/// GRU reset-before backward, second launch: the product is d(r h) = W_hn^T dPre_n(t);
/// dPre_r = d(r h) h(t-1) r (1 - r), and d(r h) r goes to h(t-1) through the carry.
/// </summary>
internal struct GruResetBackwardCell : IBackwardCell
{
    public GruBackwardViews Views;
    public ArrayView<float> GateGradients;  // [T, B, 3H]: writes the r block

    public readonly void Apply(int s, int t, int b, int j, bool active, float recurrent)
    {
        if (!active) return;
        var r = Views.Gates[Views.GateRow(t, b, j)];
        GateGradients[Views.GradientRow(t, b, j)] = recurrent * Views.PreviousState(s, t, b, j) * r * (1f - r);
        Views.Dh.AddToCarry(b, j, recurrent * r);
    }
}

/// <summary>What the GRU backward cells read, one set for a direction; each launch of a step uses its share.</summary>
internal struct GruBackwardViews
{
    public ArrayView<float> Gates;  // reserve [T, B, 4H]: r, z, n and W_hn h + b_hn (reset after) or r h(t-1) (reset before)
    public ArrayView<float> States; // reserve h slots [T+1, B, H]
    public StateGradient Dh;        // the carry [B, H] and dy [T, B, D*H]
    public StateSlots Slots;
    public int Hidden;

    /// <summary>Unit j of row b of time t in the gate storage (four blocks of H).</summary>
    public readonly int GateRow(int t, int b, int j) => (t * Dh.Batch + b) * 4 * Hidden + j;

    /// <summary>Unit j of row b of time t in the gate gradients (three blocks of H: r, z, n).</summary>
    public readonly int GradientRow(int t, int b, int j) => (t * Dh.Batch + b) * 3 * Hidden + j;

    /// <summary>h(t-1) of unit j of row b at step (s, t).</summary>
    public readonly float PreviousState(int s, int t, int b, int j) => States[(Slots.Previous(s, t) * Dh.Batch + b) * Hidden + j];

    /// <summary>
    /// Both variants' update and candidate gradients where the sequence is running: with dh(t) from
    /// <see cref="StateGradient.Take"/>, dPre_z = dh (h(t-1) - n) z (1 - z) and dPre_n = dh (1 - z)(1 - n²),
    /// and dh z goes straight to h(t-1) through the carry. False for a finished sequence.
    /// </summary>
    public readonly bool UpdateGradients(int s, int t, int b, int j, bool active, float recurrent, out float dPreZ, out float dPreN)
    {
        dPreZ = dPreN = 0f;
        if (!Dh.Take(t, b, j, active, recurrent, out var dh, out var carry)) return false;
        var gateRow = GateRow(t, b, j);
        float z = Gates[gateRow + Hidden], n = Gates[gateRow + 2 * Hidden];
        var hPrev = PreviousState(s, t, b, j);
        dPreZ = dh * (hPrev - n) * z * (1f - z);
        dPreN = dh * (1f - z) * (1f - n * n);
        Dh.Carry(carry, dh * z);
        return true;
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
