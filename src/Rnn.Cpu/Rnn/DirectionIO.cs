namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// One direction's view of a layer call's tensors: x [T, B, I], this direction's columns of
/// y [T, B, D*P], and its slices of the states ([B, P] and [B, H]; empty when absent).
/// </summary>
internal readonly struct DirectionIO<T> where T : unmanaged
{
    public required Memory<T> X { get; init; }
    /// <summary>The whole y (or dy) [T, B, D*P]; this direction owns columns [ColumnOffset, ColumnOffset + P).</summary>
    public required Memory<T> Y { get; init; }
    public required int ColumnOffset { get; init; }
    public required int RowStride { get; init; }
    public Memory<T> H0 { get; init; }
    public Memory<T> C0 { get; init; }
    public Memory<T> HN { get; init; }
    public Memory<T> CN { get; init; }

    /// <summary>This direction's part of row (t, b) of y, width P.</summary>
    public Span<T> YRow(int t, int b, int batch, int width) => Y.Span.Slice((t * batch + b) * RowStride + ColumnOffset, width);
}

/// <summary>One direction's gradients in and out of a backward call (empty when absent).</summary>
internal readonly struct DirectionGradIO<T> where T : unmanaged
{
    /// <summary>dy [T, B, D*P] with this direction's columns at ColumnOffset.</summary>
    public required Memory<T> DY { get; init; }
    public required int ColumnOffset { get; init; }
    public required int RowStride { get; init; }
    public Memory<T> DHN { get; init; }
    public Memory<T> DCN { get; init; }
    public Memory<T> DH0 { get; init; }
    public Memory<T> DC0 { get; init; }

    public ReadOnlySpan<T> DYRow(int t, int b, int batch, int width) => DY.Span.Slice((t * batch + b) * RowStride + ColumnOffset, width);
}
