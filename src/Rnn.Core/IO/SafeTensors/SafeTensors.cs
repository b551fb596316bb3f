using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace GpuRnn.IO;

/// <summary>
/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors): an
/// 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {..}}</c>,
/// then the byte buffer holding every tensor's row-major little-endian data.
/// </summary>
/// <remarks>
/// Reading accepts F32, F64, I32 and I64 (read into int32 with a range check) and refuses every
/// other dtype, any malformed file (an invalid UTF-8 header included), anything that is not a
/// regular file, and any NaN or infinite value, with an <see cref="InvalidDataException"/> naming
/// the file and the problem (for a non-finite value: the tensor and the index). Writing is
/// atomic: a temporary file beside the target is written, flushed to disk and renamed over it, so
/// an existing file is never left half-written.
/// </remarks>
public static class SafeTensors
{
    private const int CopyChunkBytes = 1 << 20;

    /// <summary>Reads a whole safetensors file into host memory.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a regular, well-formed safetensors file, or holds a dtype GpuRnn does not read or a NaN or infinite value.</exception>
    public static SafeTensorsFile Read(string path) => Read(path, null);

    /// <summary>
    /// Reads a whole safetensors file into host memory after <paramref name="checkHeader"/> has
    /// accepted its header: a reader that knows what the file must hold (a model's spec) refuses a
    /// contradiction there, before any tensor data is allocated.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="checkHeader">Throws <see cref="InvalidDataException"/> for a header the reader cannot use; null checks nothing more.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a regular, well-formed safetensors file, holds a dtype GpuRnn does not read or a NaN or infinite value, or <paramref name="checkHeader"/> refused it.</exception>
    public static SafeTensorsFile Read(string path, Action<SafeTensorsHeader>? checkHeader)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = OpenRead(path);
        return Read(stream, path, checkHeader);
    }

    /// <summary>Reads a safetensors file from a seekable stream positioned at its start; <paramref name="source"/> names it in messages.</summary>
    public static SafeTensorsFile Read(Stream stream, string source) => Read(stream, source, null);

    private static SafeTensorsFile Read(Stream stream, string source, Action<SafeTensorsHeader>? checkHeader)
    {
        ArgumentNullException.ThrowIfNull(stream);
        RequireLittleEndian();
        if (!stream.CanSeek) throw new ArgumentException($"{source}: the stream must be seekable", nameof(stream));
        var header = SafeTensorsHeader.Read(stream, source);
        checkHeader?.Invoke(header);
        var tensors = new OrderedDictionary<string, HostTensor>(StringComparer.Ordinal);
        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var info in header.Tensors)
        {
            stream.Position = header.DataStart + info.Begin;
            var tensor = ReadData(stream, info, source);
            FiniteCheck.Require(tensor, info.Name, source);
            tensors.Add(info.Name, tensor);
            stored.Add(info.Name, info.StoredDType);
        }
        return new SafeTensorsFile(source, tensors, stored, header.Metadata);
    }

    /// <summary>Reads only the header (names, dtypes, shapes, metadata) without loading any data.</summary>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        RequireLittleEndian();
        using var stream = OpenRead(path);
        return SafeTensorsHeader.Read(stream, path);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> (laid out in the order given) and <paramref name="metadata"/>
    /// to <paramref name="path"/> atomically: a temporary file <c>path.tmp-*</c> is written and
    /// flushed to disk, then renamed over <paramref name="path"/>. Temporaries of the same path
    /// left by a writer that was killed are removed first.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, HostTensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"{path}: cannot write the file because directory '{directory}' does not exist");
        AtomicFile.Write(full, stream => Write(stream, list, metadata));
    }

    /// <summary>Writes the safetensors encoding of <paramref name="tensors"/> and <paramref name="metadata"/> to a stream.</summary>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, HostTensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        RequireLittleEndian();
        var list = tensors as IReadOnlyList<KeyValuePair<string, HostTensor>> ?? tensors.ToList();
        var header = EncodeHeader(list, metadata);
        Span<byte> prefix = stackalloc byte[8];
        BitConverter.TryWriteBytes(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var (_, tensor) in list)
        {
            switch (tensor.Data)
            {
                case float[] f: stream.Write(MemoryMarshal.AsBytes(f.AsSpan())); break;
                case double[] d: stream.Write(MemoryMarshal.AsBytes(d.AsSpan())); break;
                case int[] i: stream.Write(MemoryMarshal.AsBytes(i.AsSpan())); break;
                default: throw new InvalidOperationException($"tensor of type {tensor.Data.GetType().Name} cannot be written");
            }
        }
    }

    // The header lists __metadata__ first, then the tensors in the order of their data, as the
    // reference implementation does; it is padded with spaces so the data starts 8-byte aligned.
    private static byte[] EncodeHeader(IReadOnlyList<KeyValuePair<string, HostTensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    ArgumentNullException.ThrowIfNull(value, $"metadata '{key}'");
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                if (string.IsNullOrEmpty(name)) throw new ArgumentException("a tensor name is empty");
                if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor");
                if (!names.Add(name)) throw new ArgumentException($"tensor '{name}' is given twice");
                ArgumentNullException.ThrowIfNull(tensor, name);
                var bytes = tensor.ElementCount * tensor.DType.SizeInBytes();
                json.WriteStartObject(name);
                json.WriteString("dtype", SafeTensorsDTypes.FromDType(tensor.DType));
                json.WriteStartArray("shape");
                foreach (var d in tensor.Shape.Dimensions) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        var length = buffer.WrittenCount;
        var padded = new byte[(length + 7) / 8 * 8];
        buffer.WrittenSpan.CopyTo(padded);
        padded.AsSpan(length).Fill((byte)' ');
        return padded;
    }

    private static HostTensor ReadData(Stream stream, SafeTensorInfo info, string source)
    {
        var count = checked((int)info.Shape.ElementCount);
        switch (info.StoredDType)
        {
            case "F32":
            {
                var data = new float[count];
                stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
                return HostTensor.FromArray(data, info.Shape);
            }
            case "F64":
            {
                var data = new double[count];
                stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
                return HostTensor.FromArray(data, info.Shape);
            }
            case "I32":
            {
                var data = new int[count];
                stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
                return HostTensor.FromArray(data, info.Shape);
            }
            case "I64":
                return HostTensor.FromArray(ReadInt64AsInt32(stream, count, info, source), info.Shape);
            default:
                throw new InvalidDataException($"{source}: tensor '{info.Name}' {SafeTensorsDTypes.Problem(info.StoredDType)}");
        }
    }

    // I64 is narrowed in chunks so a large tensor never needs a second full-size buffer.
    private static int[] ReadInt64AsInt32(Stream stream, int count, SafeTensorInfo info, string source)
    {
        var result = new int[count];
        var chunk = new long[Math.Min(count, CopyChunkBytes / sizeof(long))];
        for (var start = 0; start < count; start += chunk.Length)
        {
            var n = Math.Min(chunk.Length, count - start);
            stream.ReadExactly(MemoryMarshal.AsBytes(chunk.AsSpan(0, n)));
            for (var i = 0; i < n; i++)
            {
                var v = chunk[i];
                if (v < int.MinValue || v > int.MaxValue)
                    throw new InvalidDataException($"{source}: tensor '{info.Name}' (I64) element {start + i} is {v}, outside the int32 range [{int.MinValue}, {int.MaxValue}] that GpuRnn reads it into");
                result[start + i] = (int)v;
            }
        }
        return result;
    }

    private static FileStream OpenRead(string path)
    {
        if (Directory.Exists(path)) throw new FileNotFoundException($"{path}: is a directory, not a safetensors file", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        return InputFile.OpenRead(path, $"{path}:", "a safetensors file");
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data is little-endian; this machine is big-endian");
    }
}
