namespace GpuRnn.Tests.Training;

/// <summary>Small corpora and training set-ups shared by the training tests.</summary>
public static class TrainingFixtures
{
    /// <summary>A small built-in arithmetic corpus (about 15,000 characters).</summary>
    public static TextCorpus SmallCorpus(ulong seed = 7, int statements = 2000) => ArithmeticCorpus.Create(seed, statements);

    /// <summary>Entropy in nats of the characters' frequencies in <paramref name="tokens"/>: the loss of the best model that ignores context.</summary>
    public static double UnigramEntropy(int[] tokens, int vocabulary)
    {
        var counts = new long[vocabulary];
        foreach (var t in tokens) counts[t]++;
        var h = 0.0;
        foreach (var c in counts)
        {
            if (c == 0) continue;
            var p = (double)c / tokens.Length;
            h -= p * Math.Log(p);
        }
        return h;
    }

    /// <summary>A trainer and its model; disposing frees both.</summary>
    public sealed class Run(CharRnnModel model, Trainer trainer) : IDisposable
    {
        public CharRnnModel Model { get; } = model;
        public Trainer Trainer { get; } = trainer;

        public void Dispose()
        {
            Trainer.Dispose();
            Model.Dispose();
        }
    }

    /// <summary>Creates a model and trainer on <paramref name="corpus"/>.</summary>
    public static Run Create(IBackend backend, TextCorpus corpus, CharModelSpec spec, OptimizerConfig optimizer,
        LearningRateSchedule schedule, TrainingOptions options)
    {
        var model = new CharRnnModel(backend, CharLmTask.Spec(spec, corpus.Vocabulary), options.Seed);
        try
        {
            return new Run(model, new Trainer(model, new StreamTaskData(corpus.Name, corpus.Train, corpus.Validation, options.SequenceLength), optimizer, schedule, options));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Every parameter's float32 values, for bitwise comparison.</summary>
    public static float[][] Weights(CharRnnModel model) => model.Parameters.Select(p => p.Value.ToHost().AsFloat32()).ToArray();
}
