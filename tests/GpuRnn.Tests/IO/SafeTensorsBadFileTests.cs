using System.IO.Compression;
using System.Text;
using Xunit;

namespace GpuRnn.Tests.IO;

/// <summary>Every malformed file is refused with an InvalidDataException naming the file, the problem, and the expected and actual values.</summary>
public sealed class SafeTensorsBadFileTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly Random _rng = TestRandom.Create();

    public void Dispose() => _folder.Dispose();

    private InvalidDataException ReadFails(byte[] bytes)
    {
        var path = RawSafeTensors.WriteTo(_folder.File("bad.safetensors"), bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void AFileShorterThanTheLengthPrefixIsRefused(int length)
    {
        var bytes = new byte[length];
        _rng.NextBytes(bytes);
        var e = ReadFails(bytes);
        Assert.Contains($"is {length} bytes long", e.Message);
        Assert.Contains("8-byte header length", e.Message);
    }

    [Fact]
    public void AHeaderLengthLargerThanTheFileIsRefusedWithBothSizes()
    {
        var header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        var declared = (ulong)(header.Length + 8 + 1 + _rng.Next(1000));
        var e = ReadFails(RawSafeTensors.Build(declared, header, new byte[8]));
        Assert.Contains($"header length of {declared} bytes", e.Message);
        Assert.Contains($"only {header.Length + 8} bytes follow", e.Message);
    }

    [Fact]
    public void ATextFileIsNotASafetensorsFile()
    {
        var e = ReadFails(Encoding.UTF8.GetBytes($"hello, this is a plain text file number {_rng.Next()}\nwith two lines\n"));
        Assert.Contains("not a safetensors file", e.Message);
    }

    [Fact]
    public void AZipFileIsNotASafetensorsFile()
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = new StreamWriter(zip.CreateEntry("data.pkl").Open());
            entry.Write(new string('x', _rng.Next(10, 100)));
        }
        var e = ReadFails(stream.ToArray());
        Assert.Contains("not a safetensors file", e.Message);
    }

    [Fact]
    public void AHeaderThatDoesNotStartWithABraceIsNamedWithItsFirstBytes()
    {
        var e = ReadFails(RawSafeTensors.Build("[1, 2, 3]", 0, _rng));
        Assert.Contains("starting with '{'", e.Message);
        Assert.Contains("\"[1, 2, 3]\"", e.Message);
    }

    [Fact]
    public void AHeaderThatIsNotValidJsonIsRefused()
    {
        var e = ReadFails(RawSafeTensors.Build("{\"a\": {\"dtype\": \"F32\", ", 8, _rng));
        Assert.Contains("not valid JSON", e.Message);
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    [InlineData("BOOL")]
    [InlineData("U8")]
    [InlineData("I8")]
    public void ADTypeGpuRnnDoesNotReadIsRefusedNamingTheTensorAndTheAcceptedOnes(string dtype)
    {
        var e = ReadFails(RawSafeTensors.Build($"{{\"emb\":{{\"dtype\":\"{dtype}\",\"shape\":[4],\"data_offsets\":[0,8]}}}}", 8, _rng));
        Assert.Contains($"tensor 'emb' has dtype {dtype}", e.Message);
        Assert.Contains("F32, F64, I32 or I64", e.Message);
    }

    [Fact]
    public void AStringThatIsNoSafetensorsDTypeIsCalledUnknown()
    {
        var e = ReadFails(RawSafeTensors.Build("{\"w\":{\"dtype\":\"float32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, _rng));
        Assert.Contains("tensor 'w' has dtype 'float32', which is not a safetensors dtype", e.Message);
        Assert.Contains("F32, F64, I32 or I64", e.Message);
    }

    [Fact]
    public void DataOffsetsBeyondTheBufferAreRefusedWithTheBufferSize()
    {
        var rows = _rng.Next(2, 9);
        var e = ReadFails(RawSafeTensors.Build($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":[{rows}],\"data_offsets\":[0,{rows * 4}]}}}}", rows * 4 - 4, _rng));
        Assert.Contains($"tensor 'w' has data_offsets [0,{rows * 4}]", e.Message);
        Assert.Contains($"the {rows * 4 - 4}-byte data buffer", e.Message);
    }

    [Fact]
    public void ATruncatedFileIsRefused()
    {
        var path = _folder.File("whole.safetensors");
        SafeTensors.Write(path, [new("a", TestRandom.Tensor(_rng, new Shape(3, 4), DType.Float32)), new("b", TestRandom.Tensor(_rng, new Shape(5), DType.Float64))]);
        var bytes = File.ReadAllBytes(path);
        var e = ReadFails(bytes[..^(1 + _rng.Next(8))]);
        Assert.Contains("tensor 'b'", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void OverlappingTensorsAreRefusedNamingBoth()
    {
        var e = ReadFails(RawSafeTensors.Build(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}", 32, _rng));
        Assert.Contains("tensors 'a' (bytes [0, 24)) and 'b' (starting at byte 16) overlap", e.Message);
    }

    [Fact]
    public void DataOffsetsThatDoNotMatchDTypeAndShapeAreRefusedWithBothByteCounts()
    {
        int rows = _rng.Next(2, 6), cols = _rng.Next(2, 6), bytes = rows * cols * 4;
        var e = ReadFails(RawSafeTensors.Build($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":[{rows},{cols}],\"data_offsets\":[0,{bytes - 4}]}}}}", bytes, _rng));
        Assert.Contains($"tensor 'w' (F32, shape [{rows}, {cols}])", e.Message);
        Assert.Contains($"spanning {bytes - 4} bytes", e.Message);
        Assert.Contains($"need {bytes} bytes", e.Message);
    }

    [Fact]
    public void DataOffsetsWhoseBeginIsAfterTheirEndAreRefused()
    {
        var e = ReadFails(RawSafeTensors.Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8, _rng));
        Assert.Contains("tensor 'w' has data_offsets [8,4] whose begin is after its end", e.Message);
    }

    [Fact]
    public void ANegativeDimensionIsRefused()
    {
        var e = ReadFails(RawSafeTensors.Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,24]}}", 24, _rng));
        Assert.Contains("tensor 'w' has shape [2,-3] with a negative dimension", e.Message);
    }

    [Fact]
    public void AMetadataValueThatIsNotAStringIsRefusedNamingTheKey()
    {
        var e = ReadFails(RawSafeTensors.Build("{\"__metadata__\":{\"cell\":\"lstm\",\"hidden_size\":128},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, _rng));
        Assert.Contains("metadata 'hidden_size' is a JSON number (128)", e.Message);
        Assert.Contains("must be strings", e.Message);
    }

    [Fact]
    public void MetadataThatIsNotAnObjectIsRefused()
    {
        var e = ReadFails(RawSafeTensors.Build("{\"__metadata__\":[\"a\"]}", 0, _rng));
        Assert.Contains("__metadata__ is a JSON array, not an object of strings", e.Message);
    }

    [Fact]
    public void ATensorNamedTwiceIsRefused()
    {
        var e = ReadFails(RawSafeTensors.Build(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, _rng));
        Assert.Contains("tensor 'w' appears twice", e.Message);
    }

    [Fact]
    public void AnEntryWithoutShapeOrOffsetsIsRefusedNamingWhatIsMissing()
    {
        Assert.Contains("tensor 'w' has no shape array", ReadFails(RawSafeTensors.Build("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, _rng)).Message);
        Assert.Contains("tensor 'w' has no data_offsets", ReadFails(RawSafeTensors.Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, _rng)).Message);
        Assert.Contains("tensor 'w' has no dtype", ReadFails(RawSafeTensors.Build("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, _rng)).Message);
        Assert.Contains("tensor 'w' is described by a JSON number", ReadFails(RawSafeTensors.Build("{\"w\":3}", 0, _rng)).Message);
    }

    [Fact]
    public void AnInt64OutsideTheInt32RangeIsRefusedNamingTheTensorIndexAndValue()
    {
        var count = _rng.Next(3, 10);
        var values = new long[count];
        var bad = _rng.Next(count);
        values[bad] = (long)int.MaxValue + 1 + _rng.Next(1000);
        var data = new byte[count * 8];
        Buffer.BlockCopy(values, 0, data, 0, data.Length);
        var header = $"{{\"lengths\":{{\"dtype\":\"I64\",\"shape\":[{count}],\"data_offsets\":[0,{count * 8}]}}}}";
        var e = ReadFails(RawSafeTensors.Build((ulong)header.Length, header, data));
        Assert.Contains($"tensor 'lengths' (I64) element {bad} is {values[bad]}, outside the int32 range", e.Message);
    }

    [Fact]
    public void AMissingFileIsFileNotFoundNamingThePath()
    {
        var path = _folder.File("absent.safetensors");
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void WritingIntoAMissingDirectoryNamesTheDirectory()
    {
        var path = Path.Combine(_folder.Path, "no-such-dir", "m.safetensors");
        var e = Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Write(path, [new("w", TestRandom.Tensor(_rng, new Shape(2), DType.Float32))]));
        Assert.Contains("no-such-dir", e.Message);
    }

    [Fact]
    public void WritingATensorNamedMetadataIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(new MemoryStream(), [new("__metadata__", TestRandom.Tensor(_rng, new Shape(2), DType.Float32))]));
        Assert.Contains("reserved", e.Message);
    }
}
