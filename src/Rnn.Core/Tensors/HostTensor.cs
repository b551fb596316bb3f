namespace GpuRnn;

/// <summary>
/// A tensor in ordinary managed memory: what files are read into and written from, and what
/// users hand to <see cref="TensorExtensions.ToDevice(HostTensor, IBackend)"/>. Holds a <c>float[]</c>, <c>double[]</c>
/// or <c>int[]</c> according to <see cref="DType"/>.
/// </summary>
public sealed class HostTensor
{
    private HostTensor(Shape shape, DType dtype, Array data)
    {
        if (data.LongLength != shape.ElementCount)
            throw new ArgumentException($"data has {data.LongLength} elements but shape {shape} needs {shape.ElementCount}", nameof(data));
        Shape = shape;
        DType = dtype;
        Data = data;
    }

    /// <summary>Dimensions, outermost first.</summary>
    public Shape Shape { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>The elements in row-major order: <c>float[]</c>, <c>double[]</c> or <c>int[]</c>.</summary>
    public Array Data { get; }

    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.ElementCount;

    /// <summary>Wraps a float32 array (not copied).</summary>
    public static HostTensor FromArray(float[] data, Shape shape) => new(shape, DType.Float32, data);

    /// <summary>Wraps a float64 array (not copied).</summary>
    public static HostTensor FromArray(double[] data, Shape shape) => new(shape, DType.Float64, data);

    /// <summary>Wraps an int32 array (not copied).</summary>
    public static HostTensor FromArray(int[] data, Shape shape) => new(shape, DType.Int32, data);

    /// <summary>A zero-filled tensor.</summary>
    public static HostTensor Zeros(Shape shape, DType dtype) => dtype switch
    {
        DType.Float32 => FromArray(new float[shape.ElementCount], shape),
        DType.Float64 => FromArray(new double[shape.ElementCount], shape),
        DType.Int32 => FromArray(new int[shape.ElementCount], shape),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>The float32 array; throws if the dtype differs.</summary>
    public float[] AsFloat32() => Data as float[] ?? throw WrongType(DType.Float32);

    /// <summary>The float64 array; throws if the dtype differs.</summary>
    public double[] AsFloat64() => Data as double[] ?? throw WrongType(DType.Float64);

    /// <summary>The int32 array; throws if the dtype differs.</summary>
    public int[] AsInt32() => Data as int[] ?? throw WrongType(DType.Int32);

    /// <summary>The elements as a typed span; <typeparamref name="T"/> must match the dtype.</summary>
    public Span<T> AsSpan<T>() where T : unmanaged => Data as T[] ?? throw WrongType(DTypeExtensions.Of<T>());

    /// <summary>The elements widened to float64 (a copy).</summary>
    public double[] ToFloat64Array() => Data switch
    {
        double[] d => (double[])d.Clone(),
        float[] f => Array.ConvertAll(f, v => (double)v),
        int[] i => Array.ConvertAll(i, v => (double)v),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>A copy converted to <paramref name="dtype"/> (float64 to float32 rounds; to int32 requires whole numbers).</summary>
    public HostTensor ConvertTo(DType dtype)
    {
        if (dtype == DType) return new HostTensor(Shape, DType, (Array)Data.Clone());
        var wide = ToFloat64Array();
        switch (dtype)
        {
            case DType.Float64: return FromArray(wide, Shape);
            case DType.Float32: return FromArray(Array.ConvertAll(wide, v => (float)v), Shape);
            case DType.Int32:
                var ints = new int[wide.Length];
                for (var i = 0; i < wide.Length; i++)
                {
                    var v = wide[i];
                    if (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
                        throw new InvalidDataException($"element {i} ({v}) is not a 32-bit integer");
                    ints[i] = (int)v;
                }
                return FromArray(ints, Shape);
            default: throw new ArgumentOutOfRangeException(nameof(dtype));
        }
    }

    /// <summary>The same data seen with another shape of equal element count (no copy).</summary>
    public HostTensor Reshape(Shape shape)
    {
        if (shape.ElementCount != ElementCount)
            throw new ArgumentException($"cannot reshape {Shape} to {shape}", nameof(shape));
        return new HostTensor(shape, DType, Data);
    }

    /// <inheritdoc/>
    public override string ToString() => $"HostTensor{Shape} {DType.DisplayName()}";

    private InvalidOperationException WrongType(DType wanted) =>
        new($"tensor is {DType.DisplayName()}, not {wanted.DisplayName()}");
}
