using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Where a forward cell puts h(t) of one direction: its state slots (<see cref="StateSlots"/>) and its
/// columns of the layer's output y. Every cell whose step ends in h(t) writes it through this.
/// </summary>
internal struct StateOutput
{
    public ArrayView<float> States; // h slots [S, B, P]
    public ArrayView<float> Output; // y [T, B, D*P]
    public StateSlots Slots;
    public int Batch, StateSize, LdOutput, OutputOffset;

    /// <summary>Unit <paramref name="j"/> of row <paramref name="b"/> at processing step <paramref name="s"/> (time <paramref name="t"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly StatePlace At(int s, int t, int b, int j) => At(Slots.Previous(s, t), Slots.Output(s, t), t, b, j);

    /// <summary>The same, for a cell that has worked out the step's slots already (the LSTM's c shares them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly StatePlace At(int previousSlot, int nextSlot, int t, int b, int j) => new(
        (previousSlot * Batch + b) * StateSize + j,
        (nextSlot * Batch + b) * StateSize + j,
        (t * Batch + b) * LdOutput + OutputOffset + j);

    /// <summary>h(t-1) of the unit.</summary>
    public readonly float Previous(StatePlace at) => States[at.Previous];

    /// <summary>A finished sequence keeps its state and outputs zero.</summary>
    public readonly void Keep(StatePlace at)
    {
        States[at.Next] = States[at.Previous];
        Output[at.Output] = 0f;
    }

    /// <summary>h(t) = <paramref name="h"/>, to the state slot and to the output.</summary>
    public readonly void Write(StatePlace at, float h)
    {
        States[at.Next] = h;
        Output[at.Output] = h;
    }
}

/// <summary>One unit's elements in <see cref="StateOutput"/>: h(t-1), h(t) and y(t).</summary>
internal readonly struct StatePlace(int previous, int next, int output)
{
    public readonly int Previous = previous, Next = next, Output = output;
}

/// <summary>
/// The gradient reaching h(t) of one direction in the backward, other than through the step's own
/// transposed product: the carry (what step t+1 passed to h(t) directly, [B, P]) and the direction's
/// columns of dy. Every backward cell that forms dh(t) reads it through this.
/// </summary>
internal struct StateGradient
{
    public ArrayView<float> OutputGradient; // dy [T, B, D*P]
    public ArrayView<float> StateCarry;     // [B, P]
    public int Batch, StateSize, LdOutput, OutputOffset;

    /// <summary>
    /// dh(t) = carry + <paramref name="recurrent"/> + dy(t) of unit <paramref name="j"/> of row <paramref name="b"/>,
    /// true, where the sequence is running (the caller then writes the carry h(t-1) receives). A finished sequence
    /// passes carry + recurrent on to h(t-1) in the carry and gets false.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Take(int t, int b, int j, bool active, float recurrent, out float dh, out int carry)
    {
        carry = b * StateSize + j;
        dh = StateCarry[carry] + recurrent;
        if (!active)
        {
            StateCarry[carry] = dh;
            return false;
        }
        dh += OutputGradient[(t * Batch + b) * LdOutput + OutputOffset + j];
        return true;
    }

    /// <summary>Sets the <paramref name="carry"/> (from <see cref="Take"/>) h(t-1) receives from h(t) directly.</summary>
    public readonly void Carry(int carry, float value) => StateCarry[carry] = value;

    /// <summary>Adds to the carry of unit j of row b (a second product that reaches h(t-1)).</summary>
    public readonly void AddToCarry(int b, int j, float value) => StateCarry[b * StateSize + j] += value;
}
