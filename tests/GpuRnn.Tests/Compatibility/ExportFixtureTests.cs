using GpuRnn.Tests.Cli;
using GpuRnn.Tests.IO;
using GpuRnn.Tests.Onnx;
using GpuRnn.Tests.Tasks;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace GpuRnn.Tests.Compatibility;

/// <summary>
/// Checkpoints written by earlier code (<see cref="CheckpointFixture"/>, character models in the
/// old <c>gpurnn.char_model</c> format among them) export with <c>gpurnn export</c>, and the ONNX
/// files give, in ONNX Runtime, the outputs that code recorded on its fixed inputs.
/// </summary>
public sealed class ExportFixtureTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> CharModels => [.. CheckpointFixture.CharModels];

    public static TheoryData<string> Tasks => [.. CheckpointFixture.Tasks];

    [Theory]
    [MemberData(nameof(CharModels))]
    public void AnOldCharacterModelExportsAndGivesTheRecordedLogitsAndState(string name)
    {
        var (spec, onnx, expected) = Export(name);
        using var session = new InferenceSession(onnx);
        // The recorded inputs: NextLogits on a chunk from a zero state, then Evaluate on the same chunk from there.
        var rng = new Random(CheckpointFixture.InputSeed);
        const int steps = 5, batch = 3;
        int v = spec.OutputSize, rows = spec.NumLayers, h = spec.HiddenSize;
        var tokens = Enumerable.Range(0, steps * batch).Select(_ => (long)rng.Next(v)).ToArray();
        var lstm = spec.Cell == RnnCellKind.Lstm;
        float[] hs = new float[rows * batch * h], cs = new float[rows * batch * h];
        var outputs = lstm ? new[] { "logits", "hn", "cn" } : ["logits", "hn"];
        Dictionary<string, OrtRun.Output> Step() => OrtRun.Run(session,
            [new("tokens", tokens, steps, batch), new("h0", hs, rows, batch, h), .. lstm ? new[] { new OrtRun.Input("c0", cs, rows, batch, h) } : []], outputs);
        var first = Step();
        Tolerance.AssertClose(first["logits"].Values[((steps - 1) * batch * v)..], expected["logits"].ToFloat64Array(), Tolerance.Forward32, $"{name}: logits");
        hs = OrtRun.Floats(first["hn"].Values);
        if (lstm) cs = OrtRun.Floats(first["cn"].Values);
        Tolerance.AssertClose(Step()["hn"].Values, expected["hidden"].ToFloat64Array(), Tolerance.Forward32, $"{name}: hidden");
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void AnOldTaskCheckpointExportsAndGivesTheRecordedOutputs(string name)
    {
        var (spec, onnx, expected) = Export(name);
        var examples = TaskFixtures.Examples(new Random(CheckpointFixture.InputSeed), spec, 7, 6);
        var padding = TestRandom.Create();
        switch (spec.Task)
        {
            case TaskKind.Classify or TaskKind.Adding:
            {
                using var session = new InferenceSession(onnx);
                var output = spec.IsRegression ? "value" : "probabilities";
                var got = OrtRun.Run(session, ExportFixtures.GraphInputs(spec, padding, examples), output)[output];
                Tolerance.AssertClose(got.Values, expected["predictions"].ToFloat64Array(), Tolerance.Forward32, $"{name}: predictions");
                break;
            }
            case TaskKind.Tag:
            {
                using var session = new InferenceSession(onnx);
                var all = OrtRun.Run(session, ExportFixtures.GraphInputs(spec, padding, examples), "probabilities")["probabilities"];
                int batch = examples.Length, v = spec.OutputSize;
                var got = examples.SelectMany((e, b) => Enumerable.Range(0, e.Length * v).Select(i => Math.Log(all.Values[((i / v) * batch + b) * v + i % v]))).ToArray();
                Tolerance.AssertClose(got, expected["log_probabilities"].ToFloat64Array(), Tolerance.Forward32, $"{name}: log_probabilities");
                break;
            }
            case TaskKind.WordLm:
            {
                // Each example alone from a zero state: the step graph has no lengths, and a left-to-right model's steps do not see the padding.
                using var session = new InferenceSession(onnx);
                var got = examples.SelectMany(e => OrtRun.Run(session, [new("tokens", e.Tokens!.Select(t => (long)t).ToArray(), e.Length, 1), .. ZeroStates(spec, 1)],
                    "log_probabilities")["log_probabilities"].Values).ToArray();
                Tolerance.AssertClose(got, expected["log_probabilities"].ToFloat64Array(), Tolerance.Forward32, $"{name}: log_probabilities");
                break;
            }
            case TaskKind.Seq2Seq:
            {
                using var encoder = new InferenceSession(PartPath(onnx, "encoder"));
                using var decoder = new InferenceSession(PartPath(onnx, "decoder"));
                var lstm = spec.Cell == RnnCellKind.Lstm;
                int v = spec.OutputSize;
                var got = examples.Select(e =>
                {
                    var encoded = OrtRun.Run(encoder, ExportFixtures.GraphInputs(spec, padding, [e]), lstm ? ["hn", "cn"] : ["hn"]);
                    var inputs = new long[] { Seq2SeqModel.EndId }.Concat(e.Output!.Select(t => (long)t)).ToArray();
                    var shape = encoded["hn"].Shape;
                    var scores = OrtRun.Run(decoder,
                        [new("tokens", inputs, inputs.Length, 1), new("h0", OrtRun.Floats(encoded["hn"].Values), shape),
                         .. lstm ? new[] { new OrtRun.Input("c0", OrtRun.Floats(encoded["cn"].Values), shape) } : []], "log_probabilities")["log_probabilities"];
                    return e.Output!.Append(Seq2SeqModel.EndId).Select((t, step) => scores.Values[step * v + t]).Sum();
                }).ToArray();
                Tolerance.AssertClose(got, expected["sequence_log_probabilities"].ToFloat64Array(), Tolerance.Forward32, $"{name}: sequence_log_probabilities");
                break;
            }
            default:
                Assert.Fail($"{name}: no ONNX check for task {spec.Task.ToName()}");
                break;
        }
    }

    private (TaskSpec Spec, string Onnx, Dictionary<string, HostTensor> Expected) Export(string name)
    {
        var path = Path.Combine(CheckpointFixture.Folder, name + ".safetensors");
        Assert.True(File.Exists(path), $"fixture {path} is missing");
        var onnx = _folder.File(name + ".onnx");
        GpuRnn.Tests.Cli.Gpurnn.Run("export", "--model", path, "--onnx", onnx).AssertSucceeded();
        var expected = SafeTensors.Read(Path.Combine(CheckpointFixture.Folder, name + ".expected.safetensors")).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value);
        return (Checkpoint.Load(path).Spec, onnx, expected);
    }

    private static string PartPath(string onnx, string part) => GpuRnn.Cli.Commands.ExportCommand.PartPath(onnx, part);

    private static OrtRun.Input[] ZeroStates(TaskSpec spec, int batch)
    {
        int rows = spec.NumLayers, h = spec.HiddenSize;
        var zeros = new float[rows * batch * h];
        return spec.Cell == RnnCellKind.Lstm ? [new("h0", zeros, rows, batch, h), new("c0", zeros, rows, batch, h)] : [new("h0", zeros, rows, batch, h)];
    }
}
