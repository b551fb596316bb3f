using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace GpuRnn.IO;

/// <summary>One tensor as a safetensors header describes it.</summary>
/// <param name="Name">The tensor's name, e.g. <c>weight_ih_l0</c>.</param>
/// <param name="StoredDType">The dtype string in the file: <c>F32</c>, <c>F64</c>, <c>I32</c> or <c>I64</c>.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Begin">First byte of the data, relative to the start of the byte buffer.</param>
/// <param name="End">One past the last byte of the data, relative to the start of the byte buffer.</param>
public sealed record SafeTensorInfo(string Name, string StoredDType, Shape Shape, long Begin, long End)
{
    /// <summary>The <see cref="DType"/> the tensor is read into.</summary>
    public DType DType => SafeTensorsDTypes.ToDType(StoredDType);
}

/// <summary>
/// The parsed and checked header of a safetensors file: the tensors (in the order of their data
/// in the file) and the <c>__metadata__</c> strings.
/// </summary>
public sealed class SafeTensorsHeader
{
    /// <summary>The largest header accepted, as in the reference implementation (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private SafeTensorsHeader(IReadOnlyList<SafeTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, long dataStart)
    {
        Tensors = tensors;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>The tensors, ordered by where their data lies in the file.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Offset in the file of the byte buffer: 8 + the header length.</summary>
    public long DataStart { get; }

    /// <summary>
    /// Reads and checks the header at the start of <paramref name="stream"/> (seekable, positioned at 0).
    /// Throws <see cref="InvalidDataException"/> naming <paramref name="source"/> and the problem.
    /// </summary>
    public static SafeTensorsHeader Read(Stream stream, string source)
    {
        var fileLength = stream.Length;
        if (fileLength < 8)
            throw Bad(source, $"the file is {fileLength} bytes long, but a safetensors file starts with an 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var headerLength = BitConverter.ToUInt64(prefix);
        var available = fileLength - 8;
        if (headerLength > (ulong)available)
            throw Bad(source, $"not a safetensors file, or truncated: the first 8 bytes give a header length of {headerLength} bytes but only {available} bytes follow");
        if (headerLength > MaxHeaderBytes)
            throw Bad(source, $"the header is {headerLength} bytes long, more than the {MaxHeaderBytes} a safetensors header may have");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        return Parse(header, fileLength - 8 - (long)headerLength, source);
    }

    /// <summary>Parses header JSON bytes for a buffer of <paramref name="bufferLength"/> bytes.</summary>
    internal static SafeTensorsHeader Parse(ReadOnlySpan<byte> header, long bufferLength, string source)
    {
        var firstNonSpace = header.TrimStart((byte)' ');
        if (firstNonSpace.Length == 0 || firstNonSpace[0] != (byte)'{')
            throw Bad(source, $"not a safetensors file: the header should be a JSON object starting with '{{' but starts with {Preview(header)}");
        if (!Utf8.IsValid(header))
        {
            // Utf8.IsValid gives no position; the decoder finds it (only on this error path).
            var at = InvalidUtf8Offset(header);
            throw Bad(source, $"the header is not valid UTF-8 (an invalid byte at header offset {at}, file offset {8 + at})");
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Bad(source, $"the header is not valid JSON: {e.Message}");
        }
        try
        {
            return Parse(doc, header.Length, bufferLength, source);
        }
        catch (InvalidOperationException e)
        {
            // A JSON escape such as "\ud800" that makes no text (a lone surrogate).
            throw Bad(source, $"the header holds a string that is not valid text: {e.Message}");
        }
        finally
        {
            doc.Dispose();
        }
    }

    private static SafeTensorsHeader Parse(JsonDocument doc, int headerLength, long bufferLength, string source)
    {
        // The '{' check above makes any valid JSON here an object.
        var tensors = new List<SafeTensorInfo>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
        var sawMetadata = false;
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                if (sawMetadata) throw Bad(source, "__metadata__ appears twice in the header");
                sawMetadata = true;
                metadata = ParseMetadata(property.Value, source);
                continue;
            }
            if (!names.Add(property.Name))
                throw Bad(source, $"tensor '{property.Name}' appears twice in the header");
            tensors.Add(ParseTensor(property.Name, property.Value, bufferLength, source));
        }
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        CheckNoOverlap(tensors, source);
        return new SafeTensorsHeader(tensors, metadata, 8 + headerLength);
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(source, $"__metadata__ is a JSON {Kind(value)}, not an object of strings");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw Bad(source, $"metadata '{entry.Name}' is a JSON {Kind(entry.Value)} ({entry.Value.GetRawText()}), but metadata values must be strings");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw Bad(source, $"metadata '{entry.Name}' appears twice");
        }
        return metadata;
    }

    private static SafeTensorInfo ParseTensor(string name, JsonElement value, long bufferLength, string source)
    {
        var what = $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(source, $"{what} is described by a JSON {Kind(value)}, not an object with dtype, shape and data_offsets");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad(source, $"{what} has no dtype string");
        var dtype = dtypeElement.GetString()!;
        if (SafeTensorsDTypes.Problem(dtype) is { } problem)
            throw Bad(source, $"{what} {problem}");

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad(source, $"{what} has no shape array");
        var dims = new int[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim))
                throw Bad(source, $"{what} has shape {shapeElement.GetRawText()}, whose entries must be whole numbers");
            if (dim < 0)
                throw Bad(source, $"{what} has shape {shapeElement.GetRawText()} with a negative dimension");
            if (dim > int.MaxValue)
                throw Bad(source, $"{what} has shape {shapeElement.GetRawText()} with a dimension larger than {int.MaxValue}");
            dims[i++] = (int)dim;
        }
        long count = 1;
        foreach (var d in dims)
        {
            if (d != 0 && count > int.MaxValue / d)
                throw Bad(source, $"{what} has shape {shapeElement.GetRawText()}, more than {int.MaxValue} elements");
            count *= d;
        }
        var shape = new Shape(dims);

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Bad(source, $"{what} has no data_offsets pair [begin, end]");
        var begin = Offset(offsets[0], what, offsets, source);
        var end = Offset(offsets[1], what, offsets, source);
        if (begin > end)
            throw Bad(source, $"{what} has data_offsets {offsets.GetRawText()} whose begin is after its end");
        if (end > bufferLength)
            throw Bad(source, $"{what} has data_offsets {offsets.GetRawText()}, which end beyond the {bufferLength}-byte data buffer (truncated file?)");
        var expectedBytes = count * SafeTensorsDTypes.SizeInBytes(dtype);
        if (end - begin != expectedBytes)
            throw Bad(source, $"{what} ({dtype}, shape {shape}) has data_offsets {offsets.GetRawText()} spanning {end - begin} bytes, but that dtype and shape need {expectedBytes} bytes");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static long Offset(JsonElement element, string what, JsonElement offsets, string source)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var v) || v < 0)
            throw Bad(source, $"{what} has data_offsets {offsets.GetRawText()}, which must be two non-negative whole numbers");
        return v;
    }

    private static void CheckNoOverlap(List<SafeTensorInfo> sorted, string source)
    {
        SafeTensorInfo? previous = null;
        foreach (var t in sorted)
        {
            if (t.Begin == t.End) continue;
            if (previous is not null && t.Begin < previous.End)
                throw Bad(source, $"tensors '{previous.Name}' (bytes [{previous.Begin}, {previous.End})) and '{t.Name}' (starting at byte {t.Begin}) overlap");
            previous = t;
        }
    }

    private static int InvalidUtf8Offset(ReadOnlySpan<byte> bytes)
    {
        var decoder = new UTF8Encoding(false, throwOnInvalidBytes: true);
        try { decoder.GetCharCount(bytes); }
        catch (DecoderFallbackException e) { return Math.Max(0, e.Index); }
        return 0;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };

    private static string Preview(ReadOnlySpan<byte> bytes)
    {
        var n = Math.Min(bytes.Length, 16);
        var sb = new StringBuilder("\"");
        foreach (var b in bytes[..n])
            sb.Append(b is >= 0x20 and < 0x7f ? ((char)b).ToString() : "\\x" + b.ToString("x2", CultureInfo.InvariantCulture));
        return sb.Append('"').ToString();
    }

    internal static InvalidDataException Bad(string source, string problem) => new($"{source}: {problem}");
}
