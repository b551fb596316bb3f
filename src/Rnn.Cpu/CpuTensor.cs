namespace GpuRnn.Cpu;

/// <summary>A tensor in managed memory: a slice of a <c>float[]</c>, <c>double[]</c> or <c>int[]</c>.</summary>
internal sealed class CpuTensor : Tensor
{
    private readonly CpuTensor? _owner;
    private bool _disposed;

    public CpuTensor(CpuBackend backend, Shape shape, DType dtype)
        : base(backend, shape, dtype, isView: false)
    {
        var n = checked((int)shape.ElementCount);
        Storage = dtype switch
        {
            DType.Float32 => new float[n],
            DType.Float64 => new double[n],
            DType.Int32 => new int[n],
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
    }

    private CpuTensor(CpuTensor parent, long offset, Shape shape)
        : base(parent.Backend, shape, parent.DType, isView: true)
    {
        _owner = parent._owner ?? parent;
        Storage = parent.Storage;
        Offset = checked(parent.Offset + (int)offset);
    }

    /// <summary>The whole backing array (shared by views).</summary>
    public Array Storage { get; }

    /// <summary>Where this tensor starts in <see cref="Storage"/>.</summary>
    public int Offset { get; }

    /// <summary>Element count as an int (CPU tensors are limited to int.MaxValue elements).</summary>
    public int Length => (int)ElementCount;

    public override bool IsDisposed => (_owner ?? this)._disposed;

    /// <summary>The elements as a span of <typeparamref name="T"/>, which must match the dtype.</summary>
    public Span<T> Span<T>() where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (Storage is not T[] array)
            throw new ArgumentException($"tensor is {DType.DisplayName()}, not {DTypeExtensions.Of<T>().DisplayName()}");
        return new Span<T>(array, Offset, Length);
    }

    /// <summary>The elements as <see cref="Memory{T}"/>, for code that must hold on to them across calls.</summary>
    public Memory<T> Memory<T>() where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (Storage is not T[] array)
            throw new ArgumentException($"tensor is {DType.DisplayName()}, not {DTypeExtensions.Of<T>().DisplayName()}");
        return new Memory<T>(array, Offset, Length);
    }

    protected override Tensor CreateView(long elementOffset, Shape shape) => new CpuTensor(this, elementOffset, shape);

    public override void Dispose()
    {
        if (_owner is null) _disposed = true;
    }
}
