using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Gpu;

/// <summary>
/// A tensor in accelerator memory: a range of a device buffer of 4-byte elements, seen as
/// float32 or int32 according to its dtype. Views share their parent's buffer.
/// </summary>
internal sealed class GpuTensor : Tensor
{
    private readonly GpuTensor? _owner;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _buffer;
    private bool _disposed;

    public GpuTensor(GpuBackend backend, Shape shape, DType dtype, MemoryBuffer1D<float, Stride1D.Dense> buffer)
        : base(backend, shape, dtype, isView: false)
    {
        _buffer = buffer;
        Length = checked((int)shape.ElementCount);
    }

    private GpuTensor(GpuTensor parent, long offset, Shape shape)
        : base(parent.Backend, shape, parent.DType, isView: true)
    {
        _owner = parent._owner ?? parent;
        _buffer = parent._buffer;
        Offset = checked(parent.Offset + (int)offset);
        Length = checked((int)shape.ElementCount);
    }

    /// <summary>First element within the owner's buffer.</summary>
    public int Offset { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    public override bool IsDisposed => (_owner ?? this)._disposed;

    /// <summary>The elements as float32 (also the raw 4-byte view for copies).</summary>
    public ArrayView<float> Floats
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _buffer.View.SubView(Offset, Length);
        }
    }

    /// <summary>The elements as int32.</summary>
    public ArrayView<int> Ints => Floats.Cast<int>();

    /// <summary>True when both tensors use some of the same elements of one buffer.</summary>
    public bool Overlaps(GpuTensor other) =>
        ReferenceEquals(_buffer, other._buffer) && Offset < other.Offset + other.Length && other.Offset < Offset + Length;

    protected override Tensor CreateView(long elementOffset, Shape shape) => new GpuTensor(this, elementOffset, shape);

    public override void Dispose()
    {
        if (_owner is not null || _disposed) return;
        _disposed = true;
        ((GpuBackend)Backend).Free(_buffer);
    }
}
