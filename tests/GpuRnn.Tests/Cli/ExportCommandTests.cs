using GpuRnn.Cli;
using GpuRnn.Cpu;
using GpuRnn.Tests.IO;
using GpuRnn.Tests.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using static GpuRnn.Tests.Cli.ExportFixtures;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// <c>gpurnn export</c> of many-to-one and tagging checkpoints trained a few steps on built-in data:
/// the ONNX file runs in ONNX Runtime on fresh random inputs of variable lengths and gives the
/// loaded model's own outputs; its metadata carries the vocabularies. Bad input: one line each.
/// </summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("classify")]
    [InlineData("classify", "--bidirectional", "--pool", "mean", "--cell", "gru")]
    [InlineData("adding")]
    public void ManyToOneCheckpointsExportAndMatchPredictInOnnxRuntime(string task, params string[] options)
    {
        var checkpoint = Train(_folder, task, options);
        var onnx = _folder.File("model.onnx");
        var result = Gpurnn.Run("export", "--model", checkpoint, "--onnx", onnx);
        result.AssertSucceeded();
        Assert.Contains($"exported {task}: ", result.Out);
        Assert.Contains("lengths [B] int32 -> ", result.Out);

        var rng = TestRandom.Create();
        var (model, snapshot) = Checkpoint.LoadModel(checkpoint, new CpuBackend());
        using (model)
        {
            var spec = snapshot.Spec;
            var examples = Examples(spec, rng, [5, 2, 7, 1, 4]);
            var expected = ((SequenceClassifier)model).Predict(examples).SelectMany(r => r).ToArray();
            using var session = new InferenceSession(onnx);
            var name = spec.IsRegression ? "value" : "probabilities";
            var got = OrtRun.Run(session, GraphInputs(spec, rng, examples), name)[name];
            Assert.Equal([(long)examples.Length, spec.OutputSize], got.Shape);
            Tolerance.AssertClose(got.Values, expected, Tolerance.Forward32, spec.ToString());
            CheckMetadata(session, spec, "classifier");
        }
    }

    [Theory]
    [InlineData("tag")]
    [InlineData("tag", "--cell", "rnn_tanh", "--layers", "2")]
    [InlineData("copy")]
    public void TaggingCheckpointsExportAndMatchLogProbabilitiesInOnnxRuntime(string task, params string[] options)
    {
        var checkpoint = Train(_folder, task, options);
        var onnx = _folder.File("tagger.onnx");
        Gpurnn.Run("export", "--model", checkpoint, "--onnx", onnx).AssertSucceeded();

        var rng = TestRandom.Create();
        var (model, snapshot) = Checkpoint.LoadModel(checkpoint, new CpuBackend());
        using (model)
        {
            var spec = snapshot.Spec;
            int v = spec.OutputSize;
            var examples = Examples(spec, rng, [3, 6, 1, 5]);
            var logProbabilities = ((SequenceTagger)model).LogProbabilities(examples);
            using var session = new InferenceSession(onnx);
            var all = OrtRun.Run(session, GraphInputs(spec, rng, examples), "probabilities")["probabilities"];
            int batch = examples.Length;
            Assert.Equal([(long)examples.Max(e => e.Length), batch, v], all.Shape);
            var got = new List<double>();
            var expected = new List<double>();
            for (var b = 0; b < batch; b++)
                for (var t = 0; t < examples[b].Length; t++)
                    for (var j = 0; j < v; j++)
                    {
                        got.Add(all.Values[(t * batch + b) * v + j]);
                        expected.Add(Math.Exp(logProbabilities[b][t * v + j]));
                    }
            Tolerance.AssertClose([.. got], [.. expected], Tolerance.Forward32, spec.ToString());
            CheckMetadata(session, spec, "tagger");
        }
    }

    [Fact]
    public void AFileThatIsNotAModelIsRefusedInOneLine()
    {
        var notModel = _folder.File("inputs.safetensors");
        SafeTensors.Write(notModel, [new("x", HostTensor.FromArray(new float[6], new Shape(2, 3)))]);
        var onnx = _folder.File("out.onnx");
        var line = Gpurnn.Run("export", "--model", notModel, "--onnx", onnx).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("neither a GpuRnn checkpoint", line);
        Assert.False(File.Exists(onnx));

        var text = _folder.File("notes.txt");
        File.WriteAllText(text, "not a safetensors file at all\n");
        Gpurnn.Run("export", "--model", text, "--onnx", onnx).AssertFailed(ExitCodes.BadInput);
        var missing = Gpurnn.Run("export", "--model", _folder.File("missing.safetensors"), "--onnx", onnx).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("missing.safetensors", missing);
        Assert.False(File.Exists(onnx));
    }

    [Fact]
    public void AnOutputThatIsTheInputOrCannotBeWrittenIsRefusedInOneLine()
    {
        var checkpoint = Train(_folder, "classify");
        var before = File.ReadAllBytes(checkpoint);
        var same = Gpurnn.Run("export", "--model", checkpoint, "--onnx", checkpoint).AssertFailed(ExitCodes.Usage);
        Assert.Contains("same file", same);
        Assert.Equal(before, File.ReadAllBytes(checkpoint));

        var noFolder = Gpurnn.Run("export", "--model", checkpoint, "--onnx", _folder.File("nowhere/model.onnx")).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("does not exist", noFolder);
        var folder = Gpurnn.Run("export", "--model", checkpoint, "--onnx", _folder.Path).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("is a directory", folder);
    }

    [Theory]
    [InlineData("--lengths")]
    [InlineData("--initial-states")]
    [InlineData("--cell", "rnn_relu")]
    [InlineData("--gru-variant", "reset_before")]
    public void AStackOptionGivenForACheckpointIsAUsageError(params string[] option)
    {
        var checkpoint = Train(_folder, "tag");
        var onnx = _folder.File("out.onnx");
        var line = Gpurnn.Run(["export", "--model", checkpoint, "--onnx", onnx, .. option]).AssertFailed(ExitCodes.Usage);
        Assert.Contains($"{option[0]} applies to a bare recurrent stack", line);
        Assert.Contains("tag checkpoint", line);
        Assert.False(File.Exists(onnx));
    }

    [Fact]
    public void ABareStackExportsWithLengthsAndStatesAndMatchesItsForward()
    {
        var rng = TestRandom.Create();
        var spec = new RnnSpec(RnnCellKind.Lstm, 3, 5, NumLayers: 2, Bidirectional: true);
        var backend = new CpuBackend();
        using var stack = new RnnStack(backend, spec, DType.Float32, (ulong)rng.Next());
        var stackFile = _folder.File("stack.safetensors");
        RnnModelFile.Save(stackFile, stack);
        var onnx = _folder.File("stack.onnx");
        var result = Gpurnn.Run("export", "--model", stackFile, "--onnx", onnx, "--lengths", "--initial-states");
        result.AssertSucceeded();
        Assert.Contains("x [T, B, 3], h0 [4, B, 5], c0 [4, B, 5], lengths [B] int32 -> y [T, B, 10]", result.Out);

        int[] lengths = [4, 1, 3];
        int steps = 4, batch = 3;
        var x = TestRandom.Tensor(rng, new Shape(steps, batch, 3), DType.Float32, 1);
        var h0 = TestRandom.Tensor(rng, new Shape(4, batch, 5), DType.Float32, 1);
        var c0 = TestRandom.Tensor(rng, new Shape(4, batch, 5), DType.Float32, 1);
        using var xd = x.ToDevice(backend);
        using var hd = h0.ToDevice(backend);
        using var cd = c0.ToDevice(backend);
        using var expected = stack.Forward(xd, hd, cd, new SequenceLengths(lengths));
        using var session = new InferenceSession(onnx);
        var got = OrtRun.Run(session,
            [new("x", OrtRun.Floats(x.ToFloat64Array()), steps, batch, 3), new("h0", OrtRun.Floats(h0.ToFloat64Array()), 4, batch, 5),
             new("c0", OrtRun.Floats(c0.ToFloat64Array()), 4, batch, 5), new("lengths", lengths, batch)], "y", "hn", "cn");
        Tolerance.AssertClose(got["y"].Values, expected.Output.ToFloat64Array(), Tolerance.Forward32, "y");
        Tolerance.AssertClose(got["hn"].Values, expected.Hidden.ToFloat64Array(), Tolerance.Forward32, "hn");
        Tolerance.AssertClose(got["cn"].Values, expected.Cell!.ToFloat64Array(), Tolerance.Forward32, "cn");
    }

    [Fact]
    public void ACellOptionOnnxCannotExpressIsRefusedWithTheExportersMessage()
    {
        var spec = new RnnSpec(RnnCellKind.Lstm, 3, 4, LayerNorm: true);
        using var stack = new RnnStack(new CpuBackend(), spec, DType.Float32, 7);
        var stackFile = _folder.File("ln.safetensors");
        RnnModelFile.Save(stackFile, stack);
        var onnx = _folder.File("ln.onnx");
        var line = Gpurnn.Run("export", "--model", stackFile, "--onnx", onnx).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("layer norm", line);
        Assert.False(File.Exists(onnx));
    }
}
