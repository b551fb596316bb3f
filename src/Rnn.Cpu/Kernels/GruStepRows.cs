using System.Numerics;
using GpuRnn.Cpu.Rnn;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// Processing step s of a reference GRU direction, forward or backward: its time index, h(t-1)
/// [B, H], the gates r, z, n [B, 3H] and Extra [B, H] (<see cref="GruForward"/> says what Extra
/// keeps), whole and by batch row.
/// </summary>
internal readonly ref struct GruStepRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _hidden;
    private readonly Span<T> _gates;

    public GruStepRows(DirectionState<T> state, in DirectionIO<T> io, int s, T[] zeros)
    {
        _hidden = state.Layer.HiddenSize;
        Time = state.TimeAt(s);
        HPrev = RecurrentLayer<T>.PreviousH(state, io, s, zeros);
        _gates = state.At(state.Gates, Time, 3 * _hidden);
        Extra = state.At(state.Extra, Time, _hidden);
    }

    /// <summary>The time index t of the step.</summary>
    public int Time { get; }

    /// <summary>h(t-1) [B, H]: h0 (or zeros) at the first step.</summary>
    public ReadOnlySpan<T> HPrev { get; }

    /// <summary>Extra [B, H] at time t.</summary>
    public Span<T> Extra { get; }

    /// <summary>Row b of h(t-1).</summary>
    public ReadOnlySpan<T> HPrevRow(int b) => HPrev.Slice(b * _hidden, _hidden);

    /// <summary>Row b's gates r, z, n [3H].</summary>
    public Span<T> GateRow(int b) => _gates.Slice(b * 3 * _hidden, 3 * _hidden);

    /// <summary>Row b of Extra.</summary>
    public Span<T> ExtraRow(int b) => Extra.Slice(b * _hidden, _hidden);
}
