using GpuRnn.Cpu;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Training;

public class TrainerTests
{
    [Theory]
    [MemberData(nameof(TestBackends.Names), MemberType = typeof(TestBackends))]
    public void LossFallsWellBelowTheUnigramEntropy(string backendName)
    {
        var backend = TestBackends.Get(backendName);
        var corpus = TrainingFixtures.SmallCorpus((ulong)TestRandom.Create().Next());
        // ILGPU's CPU accelerator emulates a GPU thread by thread: a smaller model keeps it quick.
        var small = backendName == "ilgpu-cpu";
        var spec = new CharModelSpec(RnnCellKind.Lstm, corpus.Vocabulary.Count, 8, small ? 16 : 32);
        var options = new TrainingOptions(Batch: 8, SequenceLength: 16, Steps: small ? 150 : 250, Clip: 5, EvalEvery: 0, Seed: (ulong)TestRandom.Seed);
        using var run = TrainingFixtures.Create(backend, corpus, spec, new OptimizerConfig(OptimizerKind.Adam), new LearningRateSchedule(0.02), options);
        var result = run.Trainer.Run(null, TestContext.Current.CancellationToken);
        Assert.Equal(TrainingStatus.Completed, result.Status);
        var unigram = TrainingFixtures.UnigramEntropy(corpus.Train, corpus.Vocabulary.Count);
        var validation = run.Trainer.LastEvaluation!.Value.Validation;
        Assert.True(validation.Loss < 0.75 * unigram,
            $"{backendName}: validation loss {validation.Loss:F3} nats is not well below the unigram entropy {unigram:F3} (seed {TestRandom.Seed})");
    }

    [Theory]
    [MemberData(nameof(TestBackends.Names), MemberType = typeof(TestBackends))]
    public void ResumingFromACheckpointFileGivesTheSameWeightsAsTrainingStraight(string backendName)
    {
        // Bitwise on the CPU backend; within rounding elsewhere (a GPU may sum in another order).
        var backend = TestBackends.Get(backendName);
        var rng = TestRandom.Create();
        var corpus = TrainingFixtures.SmallCorpus((ulong)rng.Next(), 400);
        var spec = new CharModelSpec(RnnCellKind.Lstm, corpus.Vocabulary.Count, 6, 12, NumLayers: 2, Dropout: 0.2, ForgetBias: true);
        var optimizer = new OptimizerConfig(OptimizerKind.AdamW);
        var schedule = new LearningRateSchedule(0.01, ScheduleKind.Cosine, WarmupSteps: 5, TotalSteps: 40, MinRate: 0.001);
        // 4 streams of 9 steps: about 7 chunks per pass, so step 20 falls inside a pass (the carried
        // state matters) and the run crosses pass boundaries (where it is reset).
        var options = new TrainingOptions(Batch: 4, SequenceLength: 9, Steps: 40, Clip: 0.5, EvalEvery: 15, Seed: (ulong)rng.Next());

        using var straight = TrainingFixtures.Create(backend, corpus, spec, optimizer, schedule, options);
        Assert.Equal(TrainingStatus.Completed, straight.Trainer.Run(null, TestContext.Current.CancellationToken).Status);
        Assert.NotEqual(0, 20 % straight.Trainer.Data.BatchesPerEpoch(options.Batch));

        using var folder = new TempFolder();
        var path = folder.File("half.safetensors");
        using (var first = TrainingFixtures.Create(backend, corpus, spec, optimizer, schedule, options with { Steps = 20 }))
        {
            Assert.Equal(TrainingStatus.Completed, first.Trainer.Run(null, TestContext.Current.CancellationToken).Status);
            Checkpoint.Save(path, first.Trainer.Capture());
        }
        var snapshot = Checkpoint.Load(path);
        Assert.Equal(20, snapshot.Step);
        // The resumed model starts from other random weights: everything must come from the file.
        using var resumed = TrainingFixtures.Create(backend, corpus, spec, optimizer, schedule, options with { Seed = options.Seed + 1 });
        resumed.Trainer.Restore(snapshot);
        Assert.Equal(TrainingStatus.Completed, resumed.Trainer.Run(null, TestContext.Current.CancellationToken).Status);

        var a = TrainingFixtures.Weights(straight.Model);
        var b = TrainingFixtures.Weights(resumed.Model);
        for (var i = 0; i < a.Length; i++)
        {
            var name = straight.Model.Parameters[i].Name;
            if (backendName == "cpu") Assert.True(a[i].AsSpan().SequenceEqual(b[i]), $"{name} differs after resuming (seed {TestRandom.Seed})");
            else Tolerance.AssertClose(Array.ConvertAll(b[i], v => (double)v), Array.ConvertAll(a[i], v => (double)v), Tolerance.Gradient32, $"{backendName} {name} after resuming");
        }
        Assert.Equal(straight.Model.DropoutCounter, resumed.Model.DropoutCounter);
    }

    [Theory]
    [InlineData(1e18, "the training loss became")]
    [InlineData(1e39, "the parameters became")]
    public void NonFiniteTrainingStopsWithAMessageNamingTheStep(double learningRate, string what)
    {
        var corpus = TrainingFixtures.SmallCorpus(3, 300);
        var spec = new CharModelSpec(RnnCellKind.RnnRelu, corpus.Vocabulary.Count, 4, 8);
        var options = new TrainingOptions(Batch: 4, SequenceLength: 8, Steps: 50, Clip: 0, EvalEvery: 0);
        // Plain SGD at an absurd rate: 1e18 makes the next loss overflow; 1e39 is infinite in
        // float32, so the very first update overflows the weights themselves.
        using var run = TrainingFixtures.Create(new CpuBackend(), corpus, spec, new OptimizerConfig(OptimizerKind.Sgd), new LearningRateSchedule(learningRate), options);
        var observer = new FiniteWatch(run.Model);
        var result = run.Trainer.Run(observer, TestContext.Current.CancellationToken);
        Assert.Equal(TrainingStatus.Diverged, result.Status);
        Assert.True(result.Step < 50);
        Assert.StartsWith(what, result.Message);
        Assert.Matches(@" became (NaN|infinite|-infinite) (at|in the update of) step \d+; training stopped", result.Message);
        // Every step reported to the observer (where checkpoints are saved) had finite parameters.
        Assert.Equal(result.Step, observer.Steps);
        Assert.Empty(observer.NonFiniteSteps);
    }

    [Fact]
    public void CancellationStopsBetweenStepsWithTheStateIntact()
    {
        var corpus = TrainingFixtures.SmallCorpus(5, 300);
        var spec = new CharModelSpec(RnnCellKind.Gru, corpus.Vocabulary.Count, 4, 8);
        var options = new TrainingOptions(Batch: 4, SequenceLength: 8, Steps: 1000, EvalEvery: 0);
        using var run = TrainingFixtures.Create(new CpuBackend(), corpus, spec, new OptimizerConfig(), new LearningRateSchedule(0.01), options);
        using var cancel = new CancellationTokenSource();
        var observer = new CancelAfter(3, cancel);
        var result = run.Trainer.Run(observer, cancel.Token);
        Assert.Equal(TrainingStatus.Cancelled, result.Status);
        Assert.Equal(3, result.Step);
        Assert.Equal(3, run.Trainer.Optimizer.StepCount);
    }

    private sealed class FiniteWatch(CharRnnModel model) : ITrainingObserver
    {
        public long Steps { get; private set; }
        public List<long> NonFiniteSteps { get; } = [];

        public void OnStep(in StepReport report)
        {
            Steps = report.Step;
            if (!double.IsFinite(model.Backend.SumOfSquares(model.Parameters.Select(p => p.Value).ToList()))) NonFiniteSteps.Add(report.Step);
        }

        public void OnEvaluation(in EvaluationReport report) { }

        public void OnCheckpoint(TrainingLoop trainer) { }
    }

    private sealed class CancelAfter(int steps, CancellationTokenSource source) : ITrainingObserver
    {
        public void OnStep(in StepReport report)
        {
            if (report.Step == steps) source.Cancel();
        }

        public void OnEvaluation(in EvaluationReport report) { }

        public void OnCheckpoint(TrainingLoop trainer) { }
    }
}
