using GpuRnn.Cpu;
using GpuRnn.Tests.Cli;
using GpuRnn.Tests.IO;
using GpuRnn.Tests.Tasks;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace GpuRnn.Tests.Onnx;

/// <summary>A task registered from outside (<see cref="ParityTask"/>, a classifier) exports from the CLI as the built-in tasks of its family do.</summary>
[Collection(nameof(RegisteredTaskCollection))]
public sealed class RegisteredTaskExportTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ParityTask _task = new();

    public RegisteredTaskExportTests() => TaskRegistry.Register(_task);

    public void Dispose()
    {
        TaskRegistry.Unregister(_task);
        _folder.Dispose();
    }

    [Fact]
    public void ARegisteredClassifierTaskExportsAndMatchesPredict()
    {
        var checkpoint = _folder.File("parity/model.safetensors");
        Gpurnn.Run(["train", "--task", "parity", "--steps", "3", "--out", checkpoint, .. TaskCommandTests.Tiny]).AssertSucceeded();
        var onnx = _folder.File("parity.onnx");
        var result = Gpurnn.Run("export", "--model", checkpoint, "--onnx", onnx);
        result.AssertSucceeded();
        Assert.Contains("exported parity: ", result.Out);

        var rng = TestRandom.Create();
        var (model, snapshot) = Checkpoint.LoadModel(checkpoint, new CpuBackend());
        using (model)
        {
            var spec = snapshot.Spec;
            var examples = ExportFixtures.Examples(spec, rng, [6, 1, 4]);
            var expected = ((SequenceClassifier)model).Predict(examples).SelectMany(r => r).ToArray();
            using var session = new InferenceSession(onnx);
            var got = OrtRun.Run(session, ExportFixtures.GraphInputs(spec, rng, examples), "probabilities")["probabilities"];
            Tolerance.AssertClose(got.Values, expected, Tolerance.Forward32, spec.ToString());
            ExportFixtures.CheckMetadata(session, spec, "classifier");
        }
    }
}
