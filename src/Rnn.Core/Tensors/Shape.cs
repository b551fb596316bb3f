using System.Runtime.CompilerServices;

namespace GpuRnn;

/// <summary>
/// The dimensions of a tensor, outermost first (time-major sequences are <c>[T, B, F]</c>).
/// Immutable; a rank-0 shape is a scalar with one element.
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly int[]? _dims;
    private readonly long _count;

    /// <summary>Creates a shape from its dimensions; every dimension must be zero or positive.</summary>
    public Shape(params ReadOnlySpan<int> dimensions)
    {
        foreach (var d in dimensions)
        {
            if (d < 0)
                throw new ArgumentOutOfRangeException(nameof(dimensions), $"shape {Format(dimensions)} has a negative dimension");
        }
        _dims = dimensions.ToArray();
        long count = 1;
        foreach (var d in dimensions) count = checked(count * d);
        _count = count;
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims?.Length ?? 0;

    /// <summary>Total number of elements (the product of the dimensions; 1 for a scalar).</summary>
    public long ElementCount => _dims is null ? 1 : _count;

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Dimensions => _dims ?? [];

    /// <summary>The size of one axis; negative axes count from the end.</summary>
    public int this[int axis]
    {
        get
        {
            var rank = Rank;
            var a = axis < 0 ? axis + rank : axis;
            if ((uint)a >= (uint)rank)
                throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is out of range for shape {this}");
            return _dims![a];
        }
    }

    /// <summary>Elements in one entry of the first axis (the product of all other dimensions).</summary>
    public long RowElementCount => Rank == 0 ? 1 : Tail(1).ElementCount;

    /// <summary>The same shape with the first dimension replaced.</summary>
    public Shape WithFirst(int first)
    {
        var d = Dimensions.ToArray();
        d[0] = first;
        return new Shape(d);
    }

    /// <summary>The dimensions from <paramref name="start"/> on.</summary>
    public Shape Tail(int start) => new(Dimensions[start..]);

    /// <summary>The shape as a 2-D matrix: all leading dimensions folded into rows, the last kept as columns.</summary>
    public (int Rows, int Columns) AsMatrix()
    {
        if (Rank == 0) return (1, 1);
        var rows = 1;
        foreach (var d in Dimensions[..^1]) rows = checked(rows * d);
        return (rows, this[-1]);
    }

    /// <inheritdoc/>
    public bool Equals(Shape other) => Dimensions.SequenceEqual(other.Dimensions);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dimensions) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Shape equality.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    /// <summary>Shape inequality.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>Formats as <c>[T, B, H]</c> with numbers, e.g. <c>[11, 3, 37]</c>.</summary>
    public override string ToString() => Format(Dimensions);

    private static string Format(ReadOnlySpan<int> dims)
    {
        var parts = new string[dims.Length];
        for (var i = 0; i < dims.Length; i++) parts[i] = dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "[" + string.Join(", ", parts) + "]";
    }

    /// <summary>Creates a shape from dimensions.</summary>
    public static implicit operator Shape(int[] dimensions) => new(dimensions);
}
