namespace GpuRnn.MpiProbe;

/// <summary>
/// The small training runs the MPI tests compare: the same model, data and options built in every
/// rank of a job and in the test's own process (one rank), so only the number of ranks differs.
/// </summary>
public static class TrainingJob
{
    /// <summary>What to train.</summary>
    /// <param name="Task"><c>charlm</c> (an LSTM character model on the arithmetic corpus, streams with carried state) or <c>tag</c> (a bidirectional GRU tagger on sentences of varied lengths).</param>
    /// <param name="Batch">The global batch B.</param>
    /// <param name="Steps">The step training ends at.</param>
    /// <param name="Seed">Seed of the weights, the data order and the dropout masks.</param>
    /// <param name="CheckpointEvery">Steps between checkpoints (0: none before the end).</param>
    /// <param name="Dropout">Dropout between layers and before the output.</param>
    /// <param name="Optimizer"><c>adam</c> (learning rate 0.01) or <c>sgd</c> (momentum 0.9, learning rate 0.1).</param>
    public sealed record Settings(string Task, int Batch, long Steps, ulong Seed, int CheckpointEvery = 0, double Dropout = 0, string Optimizer = "adam");

    /// <summary>A model and its trainer; disposing frees both.</summary>
    public sealed class Run(TaskModel model, Trainer trainer) : IDisposable
    {
        /// <summary>The model.</summary>
        public TaskModel Model { get; } = model;

        /// <summary>Its trainer.</summary>
        public Trainer Trainer { get; } = trainer;

        /// <inheritdoc/>
        public void Dispose()
        {
            Trainer.Dispose();
            Model.Dispose();
        }
    }

    /// <summary>Builds the run of <paramref name="settings"/> on <paramref name="backend"/> for this rank of <paramref name="communicator"/>.</summary>
    public static Run Create(IBackend backend, Settings settings, ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var (spec, data, options) = Describe(settings);
        var model = TaskModels.Create(backend, spec, settings.Seed);
        try
        {
            var (optimizer, rate) = settings.Optimizer switch
            {
                "adam" => (new OptimizerConfig(), 0.01),
                "sgd" => (new OptimizerConfig(OptimizerKind.Sgd, Momentum: 0.9), 0.1),
                _ => throw new ArgumentException($"unknown optimizer '{settings.Optimizer}'; expected adam or sgd"),
            };
            return new Run(model, new Trainer(model, data, optimizer, new LearningRateSchedule(rate), options, communicator));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Every parameter's values, flattened in state_dict order (float32 models).</summary>
    public static float[] Weights(TaskModel model) => model.StateDict().SelectMany(kv => kv.Value.AsFloat32()).ToArray();

    private static (TaskSpec Spec, TaskData Data, TrainingOptions Options) Describe(Settings s)
    {
        // Clipping at 1 is reached in the first steps, so the clipped path is compared too.
        switch (s.Task)
        {
            case "charlm":
            {
                var corpus = ArithmeticCorpus.Create(7, 600);
                var architecture = new CharModelSpec(RnnCellKind.Lstm, corpus.Vocabulary.Count, 8, 16, 2, s.Dropout);
                var options = new TrainingOptions(s.Batch, 12, s.Steps, Clip: 1, EvalEvery: 10, CheckpointEvery: s.CheckpointEvery, EvalMaxCharacters: 300, Seed: s.Seed);
                return (CharLmTask.Spec(architecture, corpus.Vocabulary), new StreamTaskData(corpus.Name, corpus.Train, corpus.Validation, options.SequenceLength), options);
            }
            case "tag":
            {
                var settings = new TaskSettings { Task = TaskKind.Tag, Cell = RnnCellKind.Gru, HiddenSize = 12, EmbeddingSize = 8, Bidirectional = true, Dropout = s.Dropout };
                var (spec, data) = TaskSetup.Create(settings, null, s.Seed);
                return (spec, data, new TrainingOptions(s.Batch, 1, s.Steps, Clip: 1, EvalEvery: 10, CheckpointEvery: s.CheckpointEvery, Seed: s.Seed));
            }
            default:
                throw new ArgumentException($"unknown training task '{s.Task}'; expected charlm or tag");
        }
    }
}
