using System.Globalization;
using GpuRnn.Cpu;
using GpuRnn.MpiProbe;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Mpi;

/// <summary>
/// Data-parallel training (<see cref="Trainer"/> with an MPI communicator) in real Open MPI jobs on
/// loopback, against the same run in one process (<see cref="SingleProcessCommunicator"/>): the
/// character model (streams with carried state) and a tagger on sentences of varied lengths (so the
/// ranks count different numbers of tokens). Skipped with the reason where mpirun is absent.
/// </summary>
public sealed class DataParallelTrainingTests : IDisposable
{
    // float32 rounding: the N-rank mean gradient is the one-process sum taken in another order.
    private const double Tolerance = 1e-5;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("charlm", 2, "sgd")]
    [InlineData("charlm", 3, "sgd")]
    [InlineData("tag", 2, "sgd")]
    [InlineData("tag", 3, "sgd")]
    [InlineData("charlm", 2, "adam")]
    [InlineData("charlm", 3, "adam")]
    [InlineData("tag", 2, "adam")]
    [InlineData("tag", 3, "adam")]
    public void RanksTrainTheModelThatOneProcessTrainsOnTheWholeBatch(string task, int ranks, string optimizer)
    {
        var settings = new TrainingJob.Settings(task, 6, 30, Seed(), Optimizer: optimizer);
        Train(ranks, settings).AssertSucceeded();
        using var alone = TrainAlone(settings);
        var losses = File.ReadAllLines(Path.Combine(_folder.Path, "losses.0.txt"));
        var expected = alone.Losses;
        Assert.Equal(expected.Count, losses.Length);
        for (var i = 0; i < losses.Length; i++) AssertLine(expected[i], losses[i], $"line {i} of the losses");
        // Every rank saw the same losses and holds the same bits of every weight.
        for (var r = 1; r < ranks; r++)
        {
            Assert.Equal(losses, File.ReadAllLines(Path.Combine(_folder.Path, $"losses.{r}.txt")));
            Assert.Equal(File.ReadAllBytes(Weights(0)), File.ReadAllBytes(Weights(r)));
        }
        TrainedWeights.AssertClose(alone.Run.Model.StateDict(), Checkpoint.Load(Final).Parameters, "weights after 30 steps", optimizer);
    }

    [Fact]
    public void TheSameRanksTwiceWriteBitwiseIdenticalCheckpoints()
    {
        // Dropout on: each rank draws its own masks, from the same stream in both runs.
        var settings = new TrainingJob.Settings("charlm", 6, 12, Seed(), Dropout: 0.25);
        Train(3, settings).AssertSucceeded();
        var first = File.ReadAllBytes(Final);
        File.Delete(Final);
        Train(3, settings).AssertSucceeded();
        Assert.Equal(first, File.ReadAllBytes(Final));
    }

    [Fact]
    public void ACheckpointOfThreeRanksResumesBitwiseOnThreeAndWithinRoundingOnOne()
    {
        var settings = new TrainingJob.Settings("charlm", 6, 20, Seed(), CheckpointEvery: 10);
        Train(3, settings).AssertSucceeded();
        var middle = Path.Combine(_folder.Path, "step10.safetensors");
        var unbroken = File.ReadAllBytes(Final);
        var atTen = Checkpoint.Load(middle);
        Assert.Equal(10, atTen.Step);

        // The gathered carried state is the one-process [L, B, H] state of step 10.
        using (var alone = TrainAlone(settings with { Steps = 10 }))
        {
            var state = alone.Run.Trainer.Capture();
            TrainedWeights.AssertClose(state.State, atTen.State, "carried state at step 10", settings.Optimizer);
            TrainedWeights.AssertClose(state.Parameters, atTen.Parameters, "weights at step 10", settings.Optimizer);
        }

        // Resumed on 3 ranks: the same bits as the unbroken run.
        File.Delete(Final);
        Train(3, settings, "--resume", middle).AssertSucceeded();
        Assert.Equal(unbroken, File.ReadAllBytes(Final));

        // Resumed in one process: the unbroken run's weights within rounding.
        using var resumed = TrainAlone(settings, Checkpoint.Load(middle));
        TrainedWeights.AssertClose(resumed.Run.Model.StateDict(), Checkpoint.Load(Final).Parameters, "weights at step 20 resumed on one process", settings.Optimizer);
    }

    [Fact]
    public void ACheckpointOfOneProcessResumesOnThreeRanks()
    {
        var settings = new TrainingJob.Settings("charlm", 6, 20, Seed());
        var middle = Path.Combine(_folder.Path, "alone10.safetensors");
        using (var first = TrainAlone(settings with { Steps = 10 })) first.Run.Trainer.SaveCheckpoint(middle);
        Train(3, settings, "--resume", middle).AssertSucceeded();
        using var unbroken = TrainAlone(settings);
        TrainedWeights.AssertClose(unbroken.Run.Model.StateDict(), Checkpoint.Load(Final).Parameters, "weights at step 20 resumed on three ranks", settings.Optimizer);
    }

    [Fact]
    public void ARankKilledMidTrainingEndsTheJobWithAFailureAndTheLastCheckpointLoads()
    {
        var victim = TestRandom.Create().Next(3);
        var settings = new TrainingJob.Settings("charlm", 6, 40, Seed(), CheckpointEvery: 5);
        // MpiJob fails the test if the job has not ended within its hang limit.
        var result = Train(3, settings, "--kill", $"{victim}@12");
        Assert.True(result.ExitCode != 0, $"the job exited with 0 after rank {victim} was killed; stdout: {result.Out}");
        Assert.False(File.Exists(Final));
        Assert.Equal(10, Checkpoint.Load(Path.Combine(_folder.Path, "step10.safetensors")).Step);
    }

    [Fact]
    public void AGlobalBatchThatDoesNotDivideByTheRanksIsRefusedInOneLine()
    {
        var result = Train(2, new TrainingJob.Settings("tag", 7, 5, Seed()));
        Assert.NotEqual(0, result.ExitCode);
        // Each rank refuses alike, before any collective (mpirun adds its own report of the failed ranks).
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("mpiprobe:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Equal("mpiprobe: error: the global batch 7 does not divide by the 2 ranks; expected a multiple of 2 (each rank takes batch / ranks)", l));
    }

    [Fact]
    public void RanksStartedWithOtherSettingsThanRankZeroAreRefusedInOneLine()
    {
        var result = Train(3, new TrainingJob.Settings("tag", 6, 5, Seed()), "--mismatch");
        Assert.NotEqual(0, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("mpiprobe:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Equal("mpiprobe: error: rank 1 was started with other settings than rank 0 (model, optimizer, schedule, batch, steps or data differ); start every rank with the same options", l));
        Assert.False(File.Exists(Final));
    }

    [Fact]
    public void TwoMpichRanksTrainTheModelThatOneProcessTrains()
    {
        var settings = new TrainingJob.Settings("tag", 6, 30, Seed());
        var mpich = MpiLauncher.Get("mpich");
        MpiJob.Run(mpich, 2, TrainArgs(settings)).AssertSucceeded();
        using var alone = TrainAlone(settings);
        Assert.Equal(File.ReadAllBytes(Weights(0)), File.ReadAllBytes(Weights(1)));
        TrainedWeights.AssertClose(alone.Run.Model.StateDict(), Checkpoint.Load(Final).Parameters, "weights after 30 steps on MPICH", settings.Optimizer);
    }

    [Fact]
    public void OneProcessRefusesNothingThatItTrainedBefore()
    {
        // The single-process default divides every batch, including odd ones.
        using var alone = TrainAlone(new TrainingJob.Settings("tag", 7, 2, Seed()));
        Assert.Equal(2, alone.Run.Trainer.Step);
    }

    private string Final => Path.Combine(_folder.Path, "final.safetensors");

    private string Weights(int rank) => Path.Combine(_folder.Path, $"weights.{rank}.bin");

    private static ulong Seed() => (ulong)TestRandom.Create().Next();

    private MpiJob.Result Train(int ranks, TrainingJob.Settings s, params string[] extra) =>
        MpiJob.Run(MpiLauncher.Get("openmpi"), ranks, TrainArgs(s, extra));

    private string[] TrainArgs(TrainingJob.Settings s, params string[] extra) => [
        "train", _folder.Path, s.Task, I(s.Batch), I(s.Steps), s.Seed.ToString(CultureInfo.InvariantCulture),
        "--checkpoint-every", I(s.CheckpointEvery), "--dropout", s.Dropout.ToString("R", CultureInfo.InvariantCulture), "--optimizer", s.Optimizer, .. extra];

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    private sealed class Alone(CpuBackend backend, TrainingJob.Run run, List<string> losses) : IDisposable
    {
        public TrainingJob.Run Run { get; } = run;
        public List<string> Losses { get; } = losses;

        public void Dispose()
        {
            Run.Dispose();
            backend.Dispose();
        }
    }

    // The same run in this process, one rank; its losses written as the probe writes them.
    private static Alone TrainAlone(TrainingJob.Settings settings, TaskSnapshot? resume = null)
    {
        var backend = new CpuBackend(threads: 1);
        var run = TrainingJob.Create(backend, settings, SingleProcessCommunicator.Instance);
        if (resume is not null) run.Trainer.Restore(resume);
        var losses = new List<string>();
        var result = run.Trainer.Run(new LossLog(losses));
        Assert.Equal(TrainingStatus.Completed, result.Status);
        return new Alone(backend, run, losses);
    }

    private sealed class LossLog(List<string> lines) : ITrainingObserver
    {
        public void OnStep(in StepReport report) => lines.Add(report.Loss.ToString("R", CultureInfo.InvariantCulture));

        public void OnEvaluation(in EvaluationReport report) =>
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"validation {report.Step} {report.Validation.LossSum:R} {report.Validation.Correct:R} {report.Validation.Count}"));

        public void OnCheckpoint(TrainingLoop trainer) { }
    }

    // A loss line, or a validation line "validation STEP LOSSSUM CORRECT COUNT": numbers within rounding.
    private static void AssertLine(string expected, string actual, string what)
    {
        var (e, a) = (expected.Split(' '), actual.Split(' '));
        Assert.True(e.Length == a.Length, $"{what}: '{actual}' where one process has '{expected}'");
        for (var i = 0; i < e.Length; i++)
        {
            if (!double.TryParse(e[i], CultureInfo.InvariantCulture, out var x)) { Assert.Equal(e[i], a[i]); continue; }
            var y = double.Parse(a[i], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(x - y) <= Tolerance * Math.Abs(x), $"{what}: '{actual}' where one process has '{expected}'");
        }
    }
}
