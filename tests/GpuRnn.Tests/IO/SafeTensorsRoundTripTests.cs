using System.Text;
using System.Text.Json;
using Xunit;

namespace GpuRnn.Tests.IO;

public class SafeTensorsRoundTripTests
{
    [Fact]
    public void WrittenTensorsAndMetadataReadBackBitForBitInTheOrderGiven()
    {
        var rng = TestRandom.Create();
        using var folder = new TempFolder();
        var tensors = new List<KeyValuePair<string, HostTensor>>
        {
            new("weight_ih_l0", TestRandom.Tensor(rng, new Shape(rng.Next(1, 9), rng.Next(1, 9)), DType.Float32)),
            new("b.f64", TestRandom.Tensor(rng, new Shape(rng.Next(1, 5), rng.Next(1, 5), rng.Next(1, 5)), DType.Float64)),
            new("ids", HostTensor.FromArray(Enumerable.Range(0, 7).Select(_ => rng.Next(int.MinValue, int.MaxValue)).ToArray(), new Shape(7))),
            new("scalar", HostTensor.FromArray([rng.NextDouble()], new Shape())),
            new("empty", HostTensor.Zeros(new Shape(0, 3), DType.Float32)),
            new("a_last", TestRandom.Tensor(rng, new Shape(rng.Next(1, 30)), DType.Float32)),
        };
        var metadata = new Dictionary<string, string>
        {
            ["cell"] = "lstm",
            ["note"] = "quotes \" backslash \\ newline \n unicode ü 日本",
            ["number"] = rng.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var path = folder.File("round.safetensors");

        SafeTensors.Write(path, tensors, metadata);
        var read = SafeTensors.Read(path);

        Assert.Equal(tensors.Select(t => t.Key), read.Names);
        foreach (var (name, expected) in tensors)
        {
            var actual = read[name];
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.DType, actual.DType);
            Assert.Equal(SafeTensorsDTypes.FromDType(expected.DType), read.StoredDType(name));
            Assert.Equal(Bytes(expected), Bytes(actual));
        }
        Assert.Equal(metadata.OrderBy(kv => kv.Key), read.Metadata.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void HeaderPutsMetadataFirstListsTensorsInLayoutOrderAndIsPaddedToEightBytes()
    {
        var rng = TestRandom.Create();
        var tensors = new List<KeyValuePair<string, HostTensor>>
        {
            new("zeta", TestRandom.Tensor(rng, new Shape(3), DType.Float64)),
            new("alpha", TestRandom.Tensor(rng, new Shape(rng.Next(1, 6), 2), DType.Float32)),
        };
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, new Dictionary<string, string> { ["k"] = "v" });
        var bytes = stream.ToArray();

        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0, headerLength % 8);
        var text = Encoding.UTF8.GetString(bytes, 8, headerLength);
        Assert.StartsWith("{\"__metadata__\":{\"k\":\"v\"},\"zeta\":", text);
        Assert.Equal(text.TrimEnd(' ').Length, text.TrimEnd().Length);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal("[0,24]", doc.RootElement.GetProperty("zeta").GetProperty("data_offsets").GetRawText());
        var alphaBytes = tensors[1].Value.ElementCount * 4;
        Assert.Equal($"[24,{24 + alphaBytes}]", doc.RootElement.GetProperty("alpha").GetProperty("data_offsets").GetRawText());
        Assert.Equal(8 + headerLength + 24 + alphaBytes, bytes.Length);
    }

    [Fact]
    public void Int64IsReadIntoInt32AcrossManyChunks()
    {
        var rng = TestRandom.Create();
        var count = 300_000 + rng.Next(1000);
        var values = new long[count];
        for (var i = 0; i < count; i++) values[i] = rng.NextInt64(int.MinValue, (long)int.MaxValue + 1);
        var data = new byte[count * 8];
        Buffer.BlockCopy(values, 0, data, 0, data.Length);
        using var folder = new TempFolder();
        var path = RawSafeTensors.WriteTo(folder.File("i64.safetensors"), RawSafeTensors.Build(
            (ulong)Header(count, data.Length).Length, Header(count, data.Length), data));

        var read = SafeTensors.Read(path);

        Assert.Equal("I64", read.StoredDType("lengths"));
        Assert.Equal(DType.Int32, read["lengths"].DType);
        Assert.Equal(values.Select(v => (int)v), read["lengths"].AsInt32());

        static string Header(int n, int bytes) => $"{{\"lengths\":{{\"dtype\":\"I64\",\"shape\":[{n}],\"data_offsets\":[0,{bytes}]}}}}";
    }

    [Fact]
    public void WritingOverAnExistingFileReplacesItAndLeavesNoTemporaryFile()
    {
        var rng = TestRandom.Create();
        using var folder = new TempFolder();
        var path = folder.File("model.safetensors");
        SafeTensors.Write(path, [new("w", TestRandom.Tensor(rng, new Shape(4, 4), DType.Float32))]);
        var replacement = TestRandom.Tensor(rng, new Shape(2, 3), DType.Float64);

        SafeTensors.Write(path, [new("w", replacement)]);

        Assert.Equal(replacement.AsFloat64(), SafeTensors.Read(path)["w"].AsFloat64());
        Assert.Equal(["model.safetensors"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AFailedWriteLeavesTheExistingFileIntactAndNoTemporaryFile()
    {
        var rng = TestRandom.Create();
        using var folder = new TempFolder();
        var path = folder.File("model.safetensors");
        var original = TestRandom.Tensor(rng, new Shape(3, 5), DType.Float32);
        SafeTensors.Write(path, [new("w", original)]);
        var before = File.ReadAllBytes(path);

        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path,
            [new("w", TestRandom.Tensor(rng, new Shape(2), DType.Float32)), new("w", TestRandom.Tensor(rng, new Shape(2), DType.Float32))]));

        Assert.Contains("'w' is given twice", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void ReadHeaderGivesNamesShapesAndDTypesWithoutTheData()
    {
        var rng = TestRandom.Create();
        using var folder = new TempFolder();
        var path = folder.File("h.safetensors");
        var shape = new Shape(rng.Next(1, 9), rng.Next(1, 9));
        SafeTensors.Write(path, [new("a", TestRandom.Tensor(rng, shape, DType.Float64)), new("b", HostTensor.FromArray([1, 2], new Shape(2)))],
            new Dictionary<string, string> { ["m"] = "1" });

        var header = SafeTensors.ReadHeader(path);

        Assert.Equal(["a", "b"], header.Tensors.Select(t => t.Name));
        Assert.Equal(shape, header.Tensors[0].Shape);
        Assert.Equal("F64", header.Tensors[0].StoredDType);
        Assert.Equal("I32", header.Tensors[1].StoredDType);
        Assert.Equal("1", header.Metadata["m"]);
    }

    private static byte[] Bytes(HostTensor t) => t.Data switch
    {
        float[] f => System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()).ToArray(),
        double[] d => System.Runtime.InteropServices.MemoryMarshal.AsBytes(d.AsSpan()).ToArray(),
        int[] i => System.Runtime.InteropServices.MemoryMarshal.AsBytes(i.AsSpan()).ToArray(),
        _ => throw new InvalidOperationException(),
    };
}
