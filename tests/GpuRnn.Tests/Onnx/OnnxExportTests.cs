using GpuRnn.Cpu;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace GpuRnn.Tests.Onnx;

/// <summary>Exported graphs run in ONNX Runtime and match GpuRnn's own outputs.</summary>
public class OnnxExportTests
{
    public static TheoryData<string> Configurations => new(
        "rnn_tanh", "rnn_relu", "lstm", "lstm_peepholes", "lstm_proj", "lstm_proj_peepholes", "gru", "gru_reset_before", "lstm_nobias", "gru_1layer_forward");

    private static RnnSpec Spec(string name) => name switch
    {
        "rnn_tanh" => new(RnnCellKind.RnnTanh, 5, 7, 2, true),
        "rnn_relu" => new(RnnCellKind.RnnRelu, 5, 7, 2, true),
        "lstm" => new(RnnCellKind.Lstm, 5, 7, 2, true),
        "lstm_peepholes" => new(RnnCellKind.Lstm, 5, 7, 2, true, Peepholes: true),
        "lstm_proj" => new(RnnCellKind.Lstm, 5, 7, 2, true, ProjSize: 4),
        "lstm_proj_peepholes" => new(RnnCellKind.Lstm, 5, 7, 3, true, ProjSize: 3, Peepholes: true),
        "gru" => new(RnnCellKind.Gru, 5, 7, 2, true),
        "gru_reset_before" => new(RnnCellKind.Gru, 5, 7, 2, true, GruVariant: GruVariant.ResetBefore),
        "lstm_nobias" => new(RnnCellKind.Lstm, 5, 7, 2, false, Bias: false),
        "gru_1layer_forward" => new(RnnCellKind.Gru, 5, 7),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void ExportedGraphMatchesTheCpuBackendInOnnxRuntime(string configuration) =>
        Check(Spec(configuration), new OnnxExportOptions(InitialStates: true, Lengths: true));

    [Theory]
    [MemberData(nameof(Configurations))]
    public void ExportWithOnlyTheInputSequenceStartsFromZeroStates(string configuration) =>
        Check(Spec(configuration), new OnnxExportOptions());

    private static void Check(RnnSpec spec, OnnxExportOptions options)
    {
        var rng = TestRandom.Create();
        var backend = new CpuBackend();
        using var model = new RnnStack(backend, spec, DType.Float32, seed: (ulong)rng.Next());
        // Larger weights than the default init so that saturation and every gate matter.
        foreach (var p in model.Parameters)
            p.Value.CopyFrom(TestRandom.Tensor(rng, p.Value.Shape, DType.Float32, 0.6));
        var stateDict = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);

        int t = 6, b = 4, states = spec.NumLayers * spec.Directions;
        var x = TestRandom.Tensor(rng, new Shape(t, b, spec.InputSize), DType.Float32);
        var h0 = TestRandom.Tensor(rng, new Shape(states, b, spec.StateSize), DType.Float32);
        var c0 = TestRandom.Tensor(rng, new Shape(states, b, spec.HiddenSize), DType.Float32);
        int[] lengths = [4, 6, 1, 3];
        var lstm = spec.Cell == RnnCellKind.Lstm;

        using var expected = model.Forward(x.ToDevice(backend),
            options.InitialStates ? h0.ToDevice(backend) : null,
            options.InitialStates && lstm ? c0.ToDevice(backend) : null,
            options.Lengths ? new SequenceLengths(lengths) : null);

        using var session = new InferenceSession(OnnxExporter.Export(spec, stateDict, options));
        var names = new List<string> { "x" };
        var values = new List<OrtValue> { Ort(x) };
        if (options.InitialStates)
        {
            names.Add("h0");
            values.Add(Ort(h0));
            if (lstm) { names.Add("c0"); values.Add(Ort(c0)); }
        }
        if (options.Lengths)
        {
            names.Add("lengths");
            values.Add(OrtValue.CreateTensorValueFromMemory(lengths, [b]));
        }
        string[] outputs = lstm ? ["y", "hn", "cn"] : ["y", "hn"];
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, names, values, outputs);
        Compare(results[0], expected.Output, spec, "y");
        Compare(results[1], expected.Hidden, spec, "hn");
        if (lstm) Compare(results[2], expected.Cell!, spec, "cn");
        foreach (var v in values) v.Dispose();
    }

    private static OrtValue Ort(HostTensor t) =>
        OrtValue.CreateTensorValueFromMemory(t.AsFloat32(), t.Shape.Dimensions.ToArray().Select(d => (long)d).ToArray());

    private static void Compare(OrtValue actual, Tensor expected, RnnSpec spec, string what)
    {
        Assert.Equal(expected.Shape.Dimensions.ToArray().Select(d => (long)d), actual.GetTensorTypeAndShape().Shape);
        var got = actual.GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v).ToArray();
        Tolerance.AssertClose(got, expected.ToFloat64Array(), Tolerance.Forward32, $"{spec}: {what}");
    }
}
