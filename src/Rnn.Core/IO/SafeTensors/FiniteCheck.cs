using System.Globalization;

namespace GpuRnn.IO;

/// <summary>
/// Refuses a NaN or infinite value in a tensor read from a file: weights, checkpoints' optimizer
/// state and inputs alike, because one such value spreads silently through every later step and
/// turns outputs, samples and losses into NaN with a successful exit.
/// </summary>
internal static class FiniteCheck
{
    /// <summary>Throws <see cref="InvalidDataException"/> naming the tensor and its first non-finite element (by index, e.g. <c>[2, 0, 5]</c>).</summary>
    public static void Require(HostTensor tensor, string name, string source)
    {
        var index = FirstNonFinite(tensor);
        if (index < 0) return;
        var value = tensor.Data is float[] f ? ((double)f[index]).ToString(CultureInfo.InvariantCulture) : ((double[])tensor.Data)[index].ToString(CultureInfo.InvariantCulture);
        throw new InvalidDataException($"{source}: tensor {name}{FormatIndex(tensor.Shape, index)} is {value}; inputs must be finite numbers (GpuRnn reads no NaN or infinity from a file)");
    }

    /// <summary>
    /// <paramref name="value"/> in <paramref name="dtype"/>; throws <see cref="InvalidDataException"/>
    /// naming the tensor and its first element that overflows there (a float64 1e39 read into a
    /// float32 model would become infinity).
    /// </summary>
    public static HostTensor Converted(HostTensor value, DType dtype, string name, string source)
    {
        if (value.DType == dtype) return value;
        var converted = value.ConvertTo(dtype);
        var index = FirstNonFinite(converted);
        if (index < 0) return converted;
        var original = value.ToFloat64Array()[index].ToString("R", CultureInfo.InvariantCulture);
        throw new InvalidDataException($"{source}: tensor {name}{FormatIndex(value.Shape, index)} is {original}, which overflows {dtype.DisplayName()}, the model's dtype; inputs must be finite numbers there");
    }

    /// <summary>The flat index of the first NaN or infinity, or -1 (integer tensors: -1).</summary>
    public static int FirstNonFinite(HostTensor tensor)
    {
        switch (tensor.Data)
        {
            case float[] f:
                for (var i = 0; i < f.Length; i++) if (!float.IsFinite(f[i])) return i;
                return -1;
            case double[] d:
                for (var i = 0; i < d.Length; i++) if (!double.IsFinite(d[i])) return i;
                return -1;
            default:
                return -1;
        }
    }

    /// <summary>A flat row-major index as <c>[i, j, k]</c> for <paramref name="shape"/>.</summary>
    public static string FormatIndex(Shape shape, long flat)
    {
        var dims = shape.Dimensions;
        var index = new long[dims.Length];
        for (var a = dims.Length - 1; a >= 0; a--)
        {
            index[a] = flat % dims[a];
            flat /= dims[a];
        }
        return "[" + string.Join(", ", index) + "]";
    }
}
