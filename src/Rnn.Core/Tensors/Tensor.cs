namespace GpuRnn;

/// <summary>
/// A dense, contiguous, row-major tensor that lives on a backend's device. Only backends create
/// tensors (<see cref="IBackend.Allocate"/>, <see cref="TensorExtensions.ToDevice(HostTensor, IBackend)"/>); layers and
/// models never see a device's raw memory. A view (<see cref="Slice"/>, <see cref="Reshape"/>)
/// shares its parent's storage and must not outlive it.
/// </summary>
public abstract class Tensor : IDisposable
{
    /// <summary>Creates the tensor's descriptor; called by backends.</summary>
    protected Tensor(IBackend backend, Shape shape, DType dtype, bool isView)
    {
        Backend = backend;
        Shape = shape;
        DType = dtype;
        IsView = isView;
    }

    /// <summary>The backend whose device holds the data.</summary>
    public IBackend Backend { get; }

    /// <summary>Dimensions, outermost first.</summary>
    public Shape Shape { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.ElementCount;

    /// <summary>True when this tensor shares another tensor's storage.</summary>
    public bool IsView { get; }

    /// <summary>True once the storage has been released.</summary>
    public abstract bool IsDisposed { get; }

    /// <summary>
    /// A view of entries <c>[start, start + count)</c> along the first axis, sharing storage:
    /// for <c>h0</c> of shape <c>[L*D, B, H]</c>, <c>Slice(k*D, D)</c> is layer k's <c>[D, B, H]</c>.
    /// </summary>
    public Tensor Slice(int start, int count)
    {
        if (Shape.Rank == 0) throw new InvalidOperationException("a scalar tensor cannot be sliced");
        var n = Shape[0];
        if (start < 0 || count < 0 || start + count > n)
            throw new ArgumentOutOfRangeException(nameof(start), $"slice [{start}, {start + count}) is outside the first axis of shape {Shape} (size {n})");
        return CreateView(start * Shape.RowElementCount, Shape.WithFirst(count));
    }

    /// <summary>A view with another shape of the same element count (row-major, no copy).</summary>
    public Tensor Reshape(Shape shape)
    {
        if (shape.ElementCount != ElementCount)
            throw new ArgumentException($"cannot reshape {Shape} ({ElementCount} elements) to {shape} ({shape.ElementCount} elements)", nameof(shape));
        return CreateView(0, shape);
    }

    /// <summary>Creates a view of <paramref name="shape"/> starting <paramref name="elementOffset"/> elements into this tensor.</summary>
    protected abstract Tensor CreateView(long elementOffset, Shape shape);

    /// <summary>Releases the storage (a view releases nothing).</summary>
    public abstract void Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"Tensor{Shape} {DType.DisplayName()} on {Backend.Name}";
}
