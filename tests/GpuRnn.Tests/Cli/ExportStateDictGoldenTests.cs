using GpuRnn.Tests.Golden;
using GpuRnn.Tests.IO;
using GpuRnn.Tests.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// <c>gpurnn export</c> of the PyTorch state dicts that <c>gpurnn run</c> reads: each float32
/// golden case's module is exported with the inputs it has (h0/c0, lengths) and the ONNX file,
/// in ONNX Runtime, gives PyTorch's y, hn and cn.
/// </summary>
public sealed class ExportStateDictGoldenTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> Cases => new(GoldenCase.FileNames().Where(n => n.EndsWith("_f32.safetensors", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(Cases))]
    public void APyTorchStateDictExportsAndMatchesPyTorchInOnnxRuntime(string file)
    {
        var golden = GoldenCase.Load(file);
        var model = _folder.File("model.safetensors");
        SafeTensors.Write(model, golden.Weights, golden.Metadata);
        var states = golden.Optional("h0") is not null;
        var lengths = golden.Optional("lengths");
        var onnx = _folder.File("model.onnx");
        string[] options = [.. states ? new[] { "--initial-states" } : [], .. lengths is not null ? new[] { "--lengths" } : []];
        Gpurnn.Run(["export", "--model", model, "--onnx", onnx, .. options]).AssertSucceeded();

        static long[] Dims(HostTensor t) => t.Shape.Dimensions.ToArray().Select(d => (long)d).ToArray();
        static OrtRun.Input Float(string name, HostTensor t) => new(name, OrtRun.Floats(t.ToFloat64Array()), Dims(t));
        var inputs = new List<OrtRun.Input> { Float("x", golden.File["x"]) };
        if (states)
        {
            inputs.Add(Float("h0", golden.File["h0"]));
            if (golden.Optional("c0") is { } c0) inputs.Add(Float("c0", c0));
        }
        if (lengths is not null) inputs.Add(new("lengths", lengths.ToFloat64Array().Select(v => (int)v).ToArray(), Dims(lengths)));
        var outputs = golden.File.Contains("cn") ? new[] { "y", "hn", "cn" } : ["y", "hn"];
        using var session = new InferenceSession(onnx);
        var got = OrtRun.Run(session, inputs, outputs);
        foreach (var name in outputs)
        {
            Assert.Equal(Dims(golden.File[name]), got[name].Shape);
            Tolerance.AssertClose(got[name].Values, golden.File[name].ToFloat64Array(), Tolerance.Forward32, $"{file}: {name}");
        }
    }
}
