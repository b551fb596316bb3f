using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Training;

/// <summary>The short path of the README's example: a trainer made from a corpus, saved and sampled.</summary>
public class CorpusTrainerTests
{
    [Theory]
    [MemberData(nameof(TestBackends.Names), MemberType = typeof(TestBackends))]
    public void ACorpusTrainerTrainsAsTheFullConstructorWithAdamAtTheDefaultRate(string backendName)
    {
        // Same backend, same settings, fixed-order sums: the two runs must agree bit for bit.
        var backend = TestBackends.Get(backendName);
        var rng = TestRandom.Create();
        var corpus = TrainingFixtures.SmallCorpus((ulong)rng.Next(), 300);
        var spec = new CharModelSpec(RnnCellKind.Lstm, corpus.Vocabulary.Count, 5, 7);
        var options = new TrainingOptions(Batch: 3, SequenceLength: 8, Steps: 12, EvalEvery: 0, Seed: (ulong)rng.Next());

        using var shortModel = new CharRnnModel(backend, spec, options.Seed);
        using var shortTrainer = new Trainer(shortModel, corpus, options);
        Assert.Equal(TrainingStatus.Completed, shortTrainer.Run(null, TestContext.Current.CancellationToken).Status);

        using var full = TrainingFixtures.Create(backend, corpus, spec, new OptimizerConfig(OptimizerKind.Adam),
            new LearningRateSchedule(0.005), options);
        Assert.Equal(TrainingStatus.Completed, full.Trainer.Run(null, TestContext.Current.CancellationToken).Status);

        Assert.Equal(new OptimizerConfig(OptimizerKind.Adam).Normalized, shortTrainer.Optimizer.Config);
        Assert.Equal(new LearningRateSchedule(0.005), shortTrainer.Schedule);
        var a = TrainingFixtures.Weights(shortModel);
        var b = TrainingFixtures.Weights(full.Model);
        for (var i = 0; i < a.Length; i++)
            Assert.True(a[i].AsSpan().SequenceEqual(b[i]), $"{backendName}: {shortModel.Parameters[i].Name} differs (seed {TestRandom.Seed})");
    }

    [Theory]
    [InlineData(OptimizerKind.Adam, 0.005)]
    [InlineData(OptimizerKind.AdamW, 0.005)]
    [InlineData(OptimizerKind.RmsProp, 0.002)]
    [InlineData(OptimizerKind.Sgd, 1.0)]
    public void TheDefaultScheduleIsConstantAtTheOptimizersDefaultRate(OptimizerKind kind, double rate)
    {
        var corpus = TrainingFixtures.SmallCorpus(5, 200);
        using var model = new CharRnnModel(TestBackends.Get("cpu"), new CharModelSpec(RnnCellKind.Gru, corpus.Vocabulary.Count, 3, 4));
        using var trainer = new Trainer(model, corpus, new TrainingOptions(Batch: 2, SequenceLength: 4, Steps: 3), new OptimizerConfig(kind));
        Assert.Equal(new LearningRateSchedule(rate), trainer.Schedule);
        Assert.Equal(kind, trainer.Optimizer.Config.Kind);
    }

    [Fact]
    public void ACorpusTrainerRefusesAModelOfAnotherVocabulary()
    {
        var corpus = TrainingFixtures.SmallCorpus(9, 200);
        using var model = new CharRnnModel(TestBackends.Get("cpu"), new CharModelSpec(RnnCellKind.Lstm, corpus.Vocabulary.Count + 2, 3, 4));
        var e = Assert.Throws<ArgumentException>(() => new Trainer(model, corpus));
        Assert.Contains($"the vocabulary has {corpus.Vocabulary.Count} characters but the model's is {corpus.Vocabulary.Count + 2}", e.Message);
        Assert.Throws<ArgumentNullException>(() => new Trainer(model, (TextCorpus)null!));
    }

    [Fact]
    public void TheSavedCheckpointSamplesTheSameTextAsTheModelInMemory()
    {
        var backend = TestBackends.Get("cpu");
        var rng = TestRandom.Create();
        var corpus = TrainingFixtures.SmallCorpus((ulong)rng.Next(), 300);
        var spec = new CharModelSpec(RnnCellKind.Lstm, corpus.Vocabulary.Count, EmbeddingSize: 6, HiddenSize: 10);
        using var model = new CharRnnModel(backend, CharLmTask.Spec(spec, corpus.Vocabulary));
        using var trainer = new Trainer(model, corpus, new TrainingOptions(Batch: 4, SequenceLength: 8, Steps: 20, EvalEvery: 0));
        trainer.Run(null, TestContext.Current.CancellationToken);
        var sampling = new SamplingOptions(Temperature: 0.8, Seed: (ulong)rng.Next());
        var inMemory = Sampler.Generate(model, corpus.Vocabulary, "12+", 40, sampling);

        using var folder = new TempFolder();
        var path = folder.File("model.safetensors");
        Checkpoint.Save(path, trainer.Capture());
        var (loaded, snapshot) = Checkpoint.LoadModel(path, backend);
        using (loaded)
        {
            Assert.Equal(inMemory, Sampler.Generate((CharRnnModel)loaded, CharLmTask.Characters(snapshot.Spec), "12+", 40, sampling));
        }
        Assert.StartsWith("12+", inMemory);
        Assert.Equal(43, inMemory.Length);
    }
}
