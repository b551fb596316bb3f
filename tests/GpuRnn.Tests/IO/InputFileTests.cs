using System.Text;
using Xunit;

namespace GpuRnn.Tests.IO;

/// <summary>The shared reader refuses what is not a regular file, invalid UTF-8 headers and non-finite values.</summary>
public sealed class InputFileTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly Random _rng = TestRandom.Create();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("/dev/zero", "a character device")]
    [InlineData("/dev/null", "a character device")]
    [InlineData("/proc/self/status", "a special file whose size is not known")]
    public void SpecialFilesAreNotRegularFilesForEveryReader(string path, string kind)
    {
        if (!File.Exists(path)) Assert.Skip($"{path} does not exist on this system");
        Assert.Contains($"is not a regular file (it is {kind}", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path)).Message);
        Assert.Contains($"is not a regular file (it is {kind}", Assert.Throws<InvalidDataException>(() => SafeTensors.ReadHeader(path)).Message);
        Assert.Contains($"is not a regular file (it is {kind}", Assert.Throws<InvalidDataException>(() => TextCorpus.ReadText(path)).Message);
        Assert.Contains($"is not a regular file (it is {kind}", Assert.Throws<InvalidDataException>(() => DataFile.ReadLines(path)).Message);
    }

    [Fact]
    public void ARegularFileStillReads()
    {
        var text = $"{_rng.Next()} and some text\n";
        var path = _folder.File("a.txt");
        File.WriteAllText(path, text);
        Assert.Equal(text, TextCorpus.ReadText(path));
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    public void AnInvalidUtf8HeaderIsInvalidData(byte[] bad)
    {
        var inName = _rng.Next(2) == 0;
        var before = Encoding.ASCII.GetBytes(inName ? "{\"" : "{\"__metadata__\":{\"k\":\"");
        var after = Encoding.ASCII.GetBytes(inName ? "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}" : "\"}}");
        byte[] header = [.. before, .. bad, .. after];
        var bytes = new byte[8 + header.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)header.Length);
        header.CopyTo(bytes, 8);
        var path = RawSafeTensors.WriteTo(_folder.File("bad.safetensors"), bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains($"the header is not valid UTF-8 (an invalid byte at header offset {before.Length}", e.Message);
    }

    [Fact]
    public void AnEscapedLoneSurrogateInTheHeaderIsInvalidData()
    {
        var path = RawSafeTensors.WriteTo(_folder.File("bad.safetensors"), RawSafeTensors.Build("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, _rng));
        Assert.Contains("not valid text", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path)).Message);
    }

    [Theory]
    [InlineData(DType.Float32, double.NaN, "NaN")]
    [InlineData(DType.Float32, double.PositiveInfinity, "Infinity")]
    [InlineData(DType.Float64, double.NegativeInfinity, "-Infinity")]
    [InlineData(DType.Float64, double.NaN, "NaN")]
    public void ANonFiniteValueInAnyTensorIsRefusedNamingTheTensorAndIndex(DType dtype, double value, string shown)
    {
        var shape = new Shape(_rng.Next(1, 5), _rng.Next(1, 5), _rng.Next(1, 5));
        var good = TestRandom.Tensor(_rng, new Shape(3), dtype);
        var bad = TestRandom.Tensor(_rng, shape, dtype);
        int i = _rng.Next(shape[0]), j = _rng.Next(shape[1]), k = _rng.Next(shape[2]);
        var flat = (i * shape[1] + j) * shape[2] + k;
        if (dtype == DType.Float32) bad.AsFloat32()[flat] = (float)value;
        else bad.AsFloat64()[flat] = value;
        var path = _folder.File("w.safetensors");
        SafeTensors.Write(path, [new("fine", good), new("rnn.weight_hh_l0", bad)]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains($"{path}: tensor rnn.weight_hh_l0[{i}, {j}, {k}] is {shown}", e.Message);
    }
}
