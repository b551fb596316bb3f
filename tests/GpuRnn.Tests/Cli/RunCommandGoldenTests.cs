using GpuRnn.Tests.Golden;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// <c>gpurnn run</c> end to end on the PyTorch cases: each golden file is split into a model file
/// (weights + metadata) and an input file (x, h0, c0, lengths), run in-process, and the written
/// y, hn and cn are compared with PyTorch's.
/// </summary>
public sealed class RunCommandGoldenTests : IDisposable
{
    private static readonly string[] InputNames = ["x", "h0", "c0", "lengths"];
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string, string> Cases => GoldenTests.Cases;

    private (string Model, string Input) Split(GoldenCase golden, IReadOnlyDictionary<string, string>? metadata = null, DType? inputDType = null)
    {
        var model = _folder.File("model.safetensors");
        var input = _folder.File("input.safetensors");
        SafeTensors.Write(model, golden.Weights, metadata ?? golden.Metadata);
        SafeTensors.Write(input, InputNames.Where(golden.File.Contains).Select(n =>
        {
            var t = golden.File[n];
            return new KeyValuePair<string, HostTensor>(n, inputDType is { } d && t.DType.IsFloatingPoint() ? t.ConvertTo(d) : t);
        }));
        return (model, input);
    }

    private static void AssertOutputsMatch(GoldenCase golden, string output, string backend)
    {
        var written = SafeTensors.Read(output);
        var expectedNames = golden.File.Contains("cn") ? new[] { "y", "hn", "cn" } : ["y", "hn"];
        Assert.Equal(expectedNames, written.Names);
        foreach (var name in expectedNames)
        {
            Assert.Equal(golden.DType, written[name].DType);
            golden.AssertMatches(written[name], name, golden.Tolerances.Forward, backend);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RunWritesPyTorchsOutputs(string file, string backendName)
    {
        var backend = TestBackends.Get(backendName);
        var golden = GoldenCase.Load(file);
        golden.SkipUnlessSupported(backend);
        var (model, input) = Split(golden);
        var output = _folder.File("out.safetensors");

        var result = Gpurnn.Run("run", "--model", model, "--input", input, "--output", output, "--backend", backendName);

        result.AssertSucceeded();
        Assert.StartsWith($"backend: {backendName} (", result.Out);
        Assert.Contains($"wrote y {golden.File["y"].Shape}", result.Out);
        AssertOutputsMatch(golden, output, backendName);
    }

    [Fact]
    public void InputsInAnotherDTypeAreConvertedToTheModels()
    {
        var golden = GoldenCase.Load("lstm_l2_bi_h0c0_lengths_f32.safetensors");
        // float32 values widen to float64 exactly, so the run must still match PyTorch's float32 outputs.
        var (model, input) = Split(golden, inputDType: DType.Float64);
        var output = _folder.File("out.safetensors");

        Gpurnn.Run("run", "--model", model, "--input", input, "--output", output, "--backend", "cpu").AssertSucceeded();

        AssertOutputsMatch(golden, output, "cpu");
    }

    [Fact]
    public void TheCellOptionChoosesReluForAFileThatDoesNotSay()
    {
        var golden = GoldenCase.Load("rnn_relu_l2_bi_nobias_lengths_padded_f64.safetensors");
        var (model, input) = Split(golden, metadata: new Dictionary<string, string>());
        var output = _folder.File("out.safetensors");

        Gpurnn.Run("run", "--model", model, "--input", input, "--output", output, "--backend", "cpu", "--cell", "rnn_relu").AssertSucceeded();
        AssertOutputsMatch(golden, output, "cpu");

        // Without the option the same file runs as rnn_tanh, and PyTorch's relu outputs are not reproduced.
        Gpurnn.Run("run", "--model", model, "--input", input, "--output", output, "--backend", "cpu").AssertSucceeded();
        var tanh = SafeTensors.Read(output)["y"].ToFloat64Array();
        Assert.True(Tolerance.RelativeError(tanh, golden.File["y"].ToFloat64Array()) > 1e-2);
    }

    [Fact]
    public void AnExistingOutputFileIsReplaced()
    {
        var golden = GoldenCase.Load("gru_l1_h0_f32.safetensors");
        var (model, input) = Split(golden);
        var output = _folder.File("out.safetensors");
        File.WriteAllText(output, "an older file");

        Gpurnn.Run("run", "--model", model, "--input", input, "--output", output, "--backend", "cpu").AssertSucceeded();

        AssertOutputsMatch(golden, output, "cpu");
        Assert.Equal(["input.safetensors", "model.safetensors", "out.safetensors"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName).Order());
    }
}
