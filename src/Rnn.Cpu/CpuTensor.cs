namespace GpuRnn.Cpu;

/// <summary>
/// A tensor in managed memory: a slice of a <c>float[]</c>, <c>double[]</c> or <c>int[]</c>. Large
/// tensors take their array from the backend's pool and give it back when disposed: a layer's
/// output is megabytes, allocated afresh on every forward, and a fresh array costs page faults,
/// zeroing by the kernel and, soon, a gen-2 collection; a pooled one costs a memset.
/// </summary>
internal sealed class CpuTensor : Tensor
{
    // 256 KB and up: below that the GC's own allocation is as cheap.
    private const int PooledBytes = 1 << 18;

    private readonly CpuTensor? _owner;
    private readonly BufferPool? _pool;
    private readonly Array _storage;
    private bool _disposed;
    private long _version;

    public CpuTensor(CpuBackend backend, Shape shape, DType dtype)
        : base(backend, shape, dtype, isView: false)
    {
        var n = checked((int)shape.ElementCount);
        var pooled = (long)n * dtype.SizeInBytes() >= PooledBytes;
        _pool = pooled ? backend.Pool : null;
        _storage = dtype switch
        {
            DType.Float32 => pooled ? backend.Pool.RentCleared<float>(n) : new float[n],
            DType.Float64 => pooled ? backend.Pool.RentCleared<double>(n) : new double[n],
            DType.Int32 => pooled ? backend.Pool.RentCleared<int>(n) : new int[n],
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
    }

    private CpuTensor(CpuTensor parent, long offset, Shape shape)
        : base(parent.Backend, shape, parent.DType, isView: true)
    {
        _owner = parent._owner ?? parent;
        _storage = parent._storage;
        Offset = checked(parent.Offset + (int)offset);
    }

    /// <summary>
    /// The whole backing array (shared by views). Taking it counts as a write (see <see cref="Version"/>).
    /// </summary>
    public Array Storage
    {
        get
        {
            MarkWritten();
            return _storage;
        }
    }

    /// <summary>
    /// Changes whenever the elements may have changed: every access that could write them (<see
    /// cref="Storage"/>, <see cref="Span{T}"/>, <see cref="Memory{T}"/>, through this tensor or any
    /// view of the same storage) moves it on, so a value computed from the elements at one version
    /// (the CPU forward's packed weights) is still right while the version is unchanged. Only
    /// <see cref="MemoryForReading{T}"/> leaves it alone.
    /// </summary>
    public long Version => Interlocked.Read(ref (_owner ?? this)._version);

    private void MarkWritten() => Interlocked.Increment(ref (_owner ?? this)._version);

    /// <summary>Where this tensor starts in <see cref="Storage"/>.</summary>
    public int Offset { get; }

    /// <summary>Element count as an int (CPU tensors are limited to int.MaxValue elements).</summary>
    public int Length => (int)ElementCount;

    public override bool IsDisposed => (_owner ?? this)._disposed;

    /// <summary>The elements as a span of <typeparamref name="T"/>, which must match the dtype.</summary>
    public Span<T> Span<T>() where T : unmanaged => Array<T>(write: true).AsSpan(Offset, Length);

    /// <summary>The elements as <see cref="Memory{T}"/>, for code that must hold on to them during a call.</summary>
    public Memory<T> Memory<T>() where T : unmanaged => new(Array<T>(write: true), Offset, Length);

    /// <summary>
    /// The elements as <see cref="Memory{T}"/> for a caller that only reads them (weights in a
    /// forward or backward): unlike <see cref="Memory{T}"/> it does not move <see cref="Version"/> on.
    /// Writing through it would leave values computed from the old elements looking current.
    /// </summary>
    public Memory<T> MemoryForReading<T>() where T : unmanaged => new(Array<T>(write: false), Offset, Length);

    private T[] Array<T>(bool write) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_storage is not T[] array)
            throw new ArgumentException($"tensor is {DType.DisplayName()}, not {DTypeExtensions.Of<T>().DisplayName()}");
        if (write) MarkWritten();
        return array;
    }

    protected override Tensor CreateView(long elementOffset, Shape shape) => new CpuTensor(this, elementOffset, shape);

    public override void Dispose()
    {
        if (_owner is not null || _disposed) return;
        _disposed = true;
        _pool?.Return(_storage);
    }
}
