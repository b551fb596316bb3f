using System.Globalization;
using System.Text.RegularExpressions;
using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Mpi;

/// <summary>
/// <c>mpirun -np N gpurnn eval</c> of a task model (Open MPI on loopback): the ranks split the
/// loss's batches and the blocks of outputs (<see cref="SplitEvaluation"/>), and rank 0 prints the
/// very report of one process, to the last digit: accuracy and confusion matrix, entity F1, exact
/// match and BLEU-4, at 2 and at 3 ranks (3 shows any dependence on the order of the sum).
/// </summary>
public sealed class MpiEvalCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("classify", 3, 1)]
    [InlineData("tag", 2, 1)]
    [InlineData("caption", 3, 1)]
    [InlineData("seq2seq", 3, 2)]
    public void EvalOfATaskModelOnRanksPrintsOneProcesssReport(string task, int ranks, int beam)
    {
        var rng = TestRandom.Create();
        var checkpoint = Path.Combine(_folder.Path, "model.safetensors");
        string[] train = ["train", "--task", task, "--steps", "40", "--hidden", "16", "--eval-every", "0", "--backend", "cpu",
            "--seed", rng.Next().ToString(CultureInfo.InvariantCulture), "--out", checkpoint];
        using (var stdout = new StringWriter())
        using (var stderr = new StringWriter())
            Assert.True(Program.Run(train, stdout, stderr) == 0, stderr.ToString());
        // A batch that leaves a short last batch and puts a different number of batches on each rank.
        var batch = rng.Next(5, 12).ToString(CultureInfo.InvariantCulture);
        string[] eval = ["eval", "--model", checkpoint, "--batch", batch, "--backend", "cpu", .. beam > 1 ? new[] { "--beam", "2" } : []];

        var result = MpiJob.RunCli(MpiLauncher.Get("openmpi"), ranks, eval);
        result.AssertSucceeded();
        using var alone = new StringWriter();
        using (var stderr = new StringWriter())
            Assert.True(Program.Run(eval, alone, stderr) == 0, stderr.ToString());

        var expected = Report(alone.ToString());
        Assert.Matches(task switch
        {
            "classify" => "accuracy [\\d.]+% \\(\\d+ of \\d+\\), loss [\\d.]+ nats$",
            "tag" => "token accuracy .*entity F1",
            "caption" => "exact match .*BLEU-4 [\\d.]+",
            _ => "exact match .*beam 2",
        }, expected[0]);
        Assert.Equal(expected, Report(result.Out));
    }

    [Fact]
    public void AOneProcessEvaluationIsTheSumOfItsBatchesInOrder()
    {
        // SplitEvaluation alone (no MPI): one rank's loss is TaskModel.Evaluate's, and its outputs are the task's own.
        var rng = TestRandom.Create();
        var (spec, data) = TaskSetup.Create(new TaskSettings { Task = TaskKind.Classify, HiddenSize = 12 }, null, (ulong)rng.Next());
        using var backend = Backend.Create("cpu");
        using var model = TaskRegistry.Get("classify").CreateModel(backend, spec, (ulong)rng.Next(), DType.Float32);
        var examples = data.Validation.Take(rng.Next(70, 140)).ToList();
        var batch = rng.Next(3, 9);
        var (loss, outputs) = SplitEvaluation.Evaluate(model, examples, batch, SingleProcessCommunicator.Instance, part => TaskRegistry.Get("classify").EvaluationOutputs(model, part, 1));
        Assert.Equal(model.Evaluate(examples, batch), loss);
        Assert.Equal(examples.Count, outputs!.Length);
        Assert.Null(SplitEvaluation.Evaluate(model, examples, batch, SingleProcessCommunicator.Instance, _ => null).Outputs);
    }

    // The report's lines: "evaluated ..." and the details after it, without Open MPI's terminal sequences.
    private static string[] Report(string output)
    {
        var lines = Regex.Replace(output, @"\x1b(\[[0-9;?]*[A-Za-z]|[=>])", "")
            .Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        var first = lines.FindIndex(l => l.StartsWith("evaluated ", StringComparison.Ordinal));
        Assert.True(first >= 0, $"no 'evaluated' line in:\n{output}");
        return [.. lines.Skip(first)];
    }
}
