namespace GpuRnn.IO;

/// <summary>
/// The element types of the safetensors format: which ones GpuRnn reads, and how they map to
/// <see cref="DType"/>. Weights are F32 or F64; I32 and I64 carry integers such as sequence
/// lengths (I64, PyTorch's default integer type, is read into int32 with a range check).
/// </summary>
public static class SafeTensorsDTypes
{
    /// <summary>The dtype strings GpuRnn reads, as they appear in a header.</summary>
    public static readonly IReadOnlyList<string> Accepted = ["F32", "F64", "I32", "I64"];

    // Valid safetensors dtypes that GpuRnn refuses; named so that the error says "not supported"
    // rather than "unknown".
    private static readonly HashSet<string> Refused =
        ["BOOL", "U8", "I8", "U16", "I16", "F16", "BF16", "U32", "U64", "C64",
         "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4"];

    /// <summary>The accepted dtype strings as one phrase for messages: <c>F32, F64, I32 or I64</c>.</summary>
    public static string AcceptedList => "F32, F64, I32 or I64";

    /// <summary>Bytes per element of an accepted dtype string.</summary>
    public static int SizeInBytes(string dtype) => dtype switch
    {
        "F32" or "I32" => 4,
        "F64" or "I64" => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, $"dtype {dtype} is not one GpuRnn reads ({AcceptedList})"),
    };

    /// <summary>The <see cref="DType"/> a stored dtype is read into (I64 becomes <see cref="DType.Int32"/>).</summary>
    public static DType ToDType(string dtype) => dtype switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "I32" or "I64" => DType.Int32,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, $"dtype {dtype} is not one GpuRnn reads ({AcceptedList})"),
    };

    /// <summary>The dtype string a <see cref="DType"/> is written as.</summary>
    public static string FromDType(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int32 => "I32",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors dtype for this element type"),
    };

    /// <summary>
    /// Why a header's dtype string cannot be read, or null when it can: a valid safetensors dtype
    /// that GpuRnn does not support, or a string that is not a safetensors dtype at all.
    /// </summary>
    public static string? Problem(string dtype)
    {
        if (Accepted.Contains(dtype)) return null;
        return Refused.Contains(dtype)
            ? $"has dtype {dtype}, which GpuRnn does not read (accepted: {AcceptedList})"
            : $"has dtype '{dtype}', which is not a safetensors dtype (accepted: {AcceptedList})";
    }
}
