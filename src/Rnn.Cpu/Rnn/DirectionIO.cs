namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// One direction's view of a layer call's tensors: x [T, B, I], this direction's columns of
/// y [T, B, D*P], and its slices of the states ([B, P] and [B, H]; empty when absent).
/// </summary>
internal readonly struct DirectionIO<T> where T : unmanaged
{
    public required Memory<T> X { get; init; }
    /// <summary>This direction's columns of y (empty in the backward).</summary>
    public required DirectionColumns<T> Y { get; init; }
    public Memory<T> H0 { get; init; }
    public Memory<T> C0 { get; init; }
    public Memory<T> HN { get; init; }
    public Memory<T> CN { get; init; }
}

/// <summary>One direction's gradients in and out of a backward call (empty when absent).</summary>
internal readonly struct DirectionGradIO<T> where T : unmanaged
{
    /// <summary>This direction's columns of dy.</summary>
    public required DirectionColumns<T> DY { get; init; }
    public Memory<T> DHN { get; init; }
    public Memory<T> DCN { get; init; }
    public Memory<T> DH0 { get; init; }
    public Memory<T> DC0 { get; init; }
}

/// <summary>
/// One direction's columns [Offset, Offset + P) of a [T, B, D*P] tensor (y or dy), whose rows are
/// RowStride apart.
/// </summary>
internal readonly record struct DirectionColumns<T>(Memory<T> Whole, int Offset, int RowStride) where T : unmanaged
{
    /// <summary>This direction's part of row (t, b), width P.</summary>
    public Span<T> Row(int t, int b, int batch, int width) => Whole.Span.Slice((t * batch + b) * RowStride + Offset, width);
}
