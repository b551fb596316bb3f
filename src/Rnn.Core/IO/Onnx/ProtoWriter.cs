using System.Buffers.Binary;
using System.Text;

namespace GpuRnn.IO;

/// <summary>
/// The protobuf wire format, just what ONNX models need: varints, length-delimited fields and
/// packed repeated scalars. Nested messages are written to their own writer and embedded.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _stream = new();

    private enum WireType { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 }

    /// <summary>The encoded bytes so far.</summary>
    public byte[] ToArray() => _stream.ToArray();

    /// <summary>An int64/int32/enum field.</summary>
    public ProtoWriter Int(int field, long value)
    {
        Tag(field, WireType.Varint);
        Varint(unchecked((ulong)value));
        return this;
    }

    /// <summary>A float field.</summary>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, WireType.Fixed32);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, value);
        _stream.Write(b);
        return this;
    }

    /// <summary>A string field (UTF-8).</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireType.LengthDelimited);
        Varint((ulong)value.Length);
        _stream.Write(value);
        return this;
    }

    /// <summary>An embedded message.</summary>
    public ProtoWriter Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        return Bytes(field, inner.ToArray());
    }

    /// <summary>A packed repeated int64 field.</summary>
    public ProtoWriter PackedInts(int field, IEnumerable<long> values)
    {
        var inner = new ProtoWriter();
        foreach (var v in values) inner.Varint(unchecked((ulong)v));
        return Bytes(field, inner.ToArray());
    }

    private void Tag(int field, WireType type) => Varint(((ulong)field << 3) | (ulong)type);

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _stream.WriteByte((byte)value);
    }
}
