using System.Text.RegularExpressions;
using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Mpi;

/// <summary>
/// <c>mpirun -np N gpurnn train</c> (Open MPI on loopback): rank 0 alone prints and writes the run
/// folder, the checkpoint is the one one process trains on the same global batch (within float32
/// rounding), and a batch that does not divide by the ranks is one usage error.
/// </summary>
public sealed class MpiTrainCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(null, 2)]
    [InlineData("classify", 3)]
    public void RankZeroAloneWritesTheRunOfTheGlobalBatch(string? task, int ranks)
    {
        var seed = TestRandom.Create().Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] common = ["train", "--steps", "8", "--batch", "6", "--hidden", "16", "--eval-every", "4", "--seed", seed, "--backend", "cpu",
            .. task is null ? new[] { "--seq", "16", "--sample-length", "0" } : ["--task", task]];
        var parallel = Path.Combine(_folder.Path, "ranks", "model.safetensors");
        var result = MpiJob.RunCli(MpiLauncher.Get("openmpi"), ranks, [.. common, "--out", parallel]);
        result.AssertSucceeded();
        var lines = Lines(result.Out);
        Assert.Single(lines, l => l.StartsWith("wrote ", StringComparison.Ordinal));
        Assert.Single(lines, l => Regex.IsMatch(l, $"^ranks: Open MPI .*, {ranks} ranks; each trains on {6 / ranks} of the global batch of 6$"));
        Assert.Equal(["loss.png", "metrics.csv", "model.safetensors"], Directory.GetFiles(Path.GetDirectoryName(parallel)!).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var alone = Path.Combine(_folder.Path, "alone", "model.safetensors");
        using (var stdout = new StringWriter())
        using (var stderr = new StringWriter())
            Assert.True(Program.Run([.. common, "--out", alone], stdout, stderr) == 0, stderr.ToString());
        var (expected, actual) = (Checkpoint.Load(alone), Checkpoint.Load(parallel));
        Assert.Equal(expected.Step, actual.Step);
        TrainedWeights.AssertClose(expected.Parameters, actual.Parameters, $"weights on {ranks} ranks", "adam");
    }

    [Fact]
    public void ABatchThatDoesNotDivideByTheRanksIsOneUsageError()
    {
        var output = Path.Combine(_folder.Path, "model.safetensors");
        var result = MpiJob.RunCli(MpiLauncher.Get("openmpi"), 3, ["train", "--steps", "2", "--batch", "8", "--backend", "cpu", "--out", output]);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        // mpirun adds its own report of the ranks that exited with 2; gpurnn's is one line, from rank 0.
        var errors = Lines(result.Error).Where(l => l.StartsWith("gpurnn:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["gpurnn: error: --batch 8 does not divide by the 3 ranks of this MPI job; expected a multiple of 3 (--batch is the global batch, each rank takes batch / 3)"], errors);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void EvalOfACharacterModelOnThreeRanksGivesOneProcesssResult()
    {
        var rng = TestRandom.Create();
        var checkpoint = Path.Combine(_folder.Path, "model.safetensors");
        string[] train = ["train", "--steps", "3", "--batch", "4", "--hidden", "16", "--seq", "16", "--sample-length", "0", "--backend", "cpu",
            "--seed", rng.Next().ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", checkpoint];
        using (var stdout = new StringWriter())
        using (var stderr = new StringWriter())
            Assert.True(Program.Run(train, stdout, stderr) == 0, stderr.ToString());
        // Fresh statements of the arithmetic corpus's characters; 8 streams split 3, 3, 2 between the ranks.
        var text = Path.Combine(_folder.Path, "text.txt");
        File.WriteAllLines(text, Enumerable.Range(0, 300).Select(_ => { int a = rng.Next(100), b = rng.Next(100); return $"{a}+{b}={a + b}"; }));
        string[] eval = ["eval", "--model", checkpoint, "--data", text, "--batch", "8", "--backend", "cpu"];
        var result = MpiJob.RunCli(MpiLauncher.Get("openmpi"), 3, eval);
        result.AssertSucceeded();
        var parallel = Assert.Single(Lines(result.Out), l => l.StartsWith("evaluated ", StringComparison.Ordinal));
        using var alone = new StringWriter();
        Assert.Equal(0, Program.Run(eval, alone, TextWriter.Null));
        var expected = Assert.Single(Lines(alone.ToString()), l => l.StartsWith("evaluated ", StringComparison.Ordinal));
        // Counts and correct predictions add exactly; the loss sum is added in another order (within the printed digits).
        var pattern = new Regex(@"^(evaluated [\d,]+ characters of .*): loss ([\d.]+) nats, ([\d.]+) bits/char, (accuracy [\d.]+%)$");
        var (e, a) = (pattern.Match(expected), pattern.Match(parallel));
        Assert.True(e.Success && a.Success, $"'{parallel}' against '{expected}'");
        Assert.Equal(e.Groups[1].Value, a.Groups[1].Value);
        Assert.Equal(e.Groups[4].Value, a.Groups[4].Value);
        Assert.True(Math.Abs(double.Parse(e.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) - double.Parse(a.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)) <= 1e-4,
            $"'{parallel}' against '{expected}'");
    }

    // Without the terminal sequences Open MPI's pseudo-terminal brings out of the progress display.
    private static string[] Lines(string output) =>
        Regex.Replace(output, @"\x1b(\[[0-9;?]*[A-Za-z]|[=>])", "")
            .Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
}
