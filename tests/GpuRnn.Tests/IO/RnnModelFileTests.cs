using Xunit;

namespace GpuRnn.Tests.IO;

public sealed class RnnModelFileTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly GpuRnn.Cpu.CpuBackend _cpu = new();

    public void Dispose()
    {
        _folder.Dispose();
        _cpu.Dispose();
    }

    public static MatrixTheoryData<RnnCellKind, DType> CellsAndDTypes => new(
        [RnnCellKind.RnnTanh, RnnCellKind.RnnRelu, RnnCellKind.Lstm, RnnCellKind.Gru], [DType.Float32, DType.Float64]);

    [Theory]
    [MemberData(nameof(CellsAndDTypes))]
    public void ASavedStackLoadsWithTheSameSpecDTypeAndParameters(RnnCellKind cell, DType dtype)
    {
        var rng = TestRandom.Create();
        var spec = RandomSpecs.Draw(rng, cell);
        using var saved = new RnnStack(_cpu, spec, dtype, seed: (ulong)rng.NextInt64());
        var path = _folder.File("model.safetensors");

        RnnModelFile.Save(path, saved, new Dictionary<string, string> { ["note"] = "kept" });
        using var loaded = RnnModelFile.Load(path, _cpu);

        Assert.Equal(spec, loaded.Spec);
        Assert.Equal(dtype, loaded.DType);
        Assert.Equal(saved.Parameters.Select(p => p.Name), loaded.Parameters.Select(p => p.Name));
        foreach (var (a, b) in saved.Parameters.Zip(loaded.Parameters))
            Assert.Equal(a.Value.ToFloat64Array(), b.Value.ToFloat64Array());
        Assert.Equal("kept", SafeTensors.ReadHeader(path).Metadata["note"]);
    }

    [Fact]
    public void AFileMixingFloat32AndFloat64IsRefusedNamingBothTensors()
    {
        var rng = TestRandom.Create();
        var spec = RandomSpecs.Draw(rng, RnnCellKind.Gru);
        using var stack = new RnnStack(_cpu, spec, DType.Float32);
        var dict = stack.StateDict().ToList();
        dict[1] = new(dict[1].Key, dict[1].Value.ConvertTo(DType.Float64));
        var path = _folder.File("mixed.safetensors");
        SafeTensors.Write(path, dict);

        var e = Assert.Throws<InvalidDataException>(() => RnnModelFile.Load(path, _cpu));
        Assert.Contains($"tensor '{dict[1].Key}' is float64 but '{dict[0].Key}' is float32; a model file holds one dtype", e.Message);
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void IntegerWeightsAreRefused()
    {
        var path = _folder.File("ints.safetensors");
        SafeTensors.Write(path, [new("weight_ih_l0", HostTensor.Zeros(new Shape(3, 2), DType.Int32)), new("weight_hh_l0", HostTensor.Zeros(new Shape(3, 3), DType.Int32))]);
        var e = Assert.Throws<InvalidDataException>(() => RnnModelFile.Load(path, _cpu));
        Assert.Contains("tensor 'weight_ih_l0' is int32, but weights must be F32 or F64", e.Message);
    }

    [Fact]
    public void ExtraMetadataMayNotRedefineTheSpec()
    {
        using var stack = new RnnStack(_cpu, RandomSpecs.Draw(TestRandom.Create(), RnnCellKind.Lstm));
        var e = Assert.Throws<ArgumentException>(() => RnnModelFile.Save(_folder.File("m.safetensors"), stack, new Dictionary<string, string> { ["hidden_size"] = "3" }));
        Assert.Contains("'hidden_size'", e.Message);
    }

    [Fact]
    public void AMissingModelFileIsFileNotFoundNamingThePath()
    {
        var path = _folder.File("nope.safetensors");
        var e = Assert.Throws<FileNotFoundException>(() => RnnModelFile.Load(path, _cpu));
        Assert.Contains(path, e.Message);
    }
}
