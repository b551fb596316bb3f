namespace GpuRnn;

/// <summary>
/// Trains a <see cref="CharRnnModel"/> with truncated BPTT: each step reads the next chunk of B
/// parallel streams (<see cref="StreamBatcher"/>), carries the hidden state over from the previous
/// chunk (detached; reset at the start of every pass), computes the mean cross-entropy and its
/// gradient, clips the global gradient norm and applies one optimizer update at the schedule's rate.
/// Every random draw is counter-based and every reduction has a fixed order, so a run that is
/// captured, restored and continued gives the same parameters as one that never stopped.
/// </summary>
public sealed class Trainer : TrainingLoop
{
    private readonly int[] _inputs;
    private readonly int[] _targets;

    /// <summary>Prepares training of <paramref name="model"/> (which the caller keeps and disposes).</summary>
    /// <param name="model">The model to train.</param>
    /// <param name="vocabulary">Its characters (saved with checkpoints).</param>
    /// <param name="optimizer">Which optimizer.</param>
    /// <param name="schedule">The learning rate of every step.</param>
    /// <param name="options">Batch shape, length, clipping, evaluation.</param>
    /// <param name="train">Ids of the training text.</param>
    /// <param name="validation">Ids of the validation text (at least 2).</param>
    /// <param name="dataName">What the text is, for checkpoints and messages.</param>
    /// <exception cref="ArgumentException">A setting is invalid or the text is shorter than one batch.</exception>
    public Trainer(CharRnnModel model, Vocabulary vocabulary, OptimizerConfig optimizer, LearningRateSchedule schedule,
        TrainingOptions options, int[] train, int[] validation, string dataName)
        : base(Checked(model, vocabulary, validation).Parameters, optimizer, schedule, options)
    {
        Model = model;
        Vocabulary = vocabulary;
        Validation = validation;
        DataName = dataName;
        Batcher = new StreamBatcher(train, options.Batch, options.SequenceLength);
        State = model.CreateState(options.Batch);
        _inputs = new int[Batcher.CharactersPerChunk];
        _targets = new int[Batcher.CharactersPerChunk];
    }

    /// <summary>
    /// Prepares training of <paramref name="model"/> on <paramref name="corpus"/> (its vocabulary,
    /// its training ids and its validation ids), with <c>gpurnn train</c>'s choices for what is left
    /// out: Adam at a constant <see cref="OptimizerConfig.DefaultLearningRate"/> (0.005).
    /// </summary>
    /// <param name="model">The model to train (which the caller keeps and disposes); its vocabulary size must be the corpus's.</param>
    /// <param name="corpus">The text, split into training and validation ids.</param>
    /// <param name="options">Batch shape, steps, clipping, evaluation (default: <see cref="TrainingOptions"/>'s defaults, 1,000 steps of 32 x 64 characters).</param>
    /// <param name="optimizer">The optimizer (default: Adam with PyTorch's settings).</param>
    /// <param name="schedule">The learning rate of every step (default: the optimizer's <see cref="OptimizerConfig.DefaultLearningRate"/>, constant).</param>
    /// <exception cref="ArgumentException">A setting is invalid, the vocabularies differ, or the text is shorter than one batch.</exception>
    public Trainer(CharRnnModel model, TextCorpus corpus, TrainingOptions? options = null, OptimizerConfig? optimizer = null,
        LearningRateSchedule? schedule = null)
        : this(model, (corpus ?? throw new ArgumentNullException(nameof(corpus))).Vocabulary, optimizer ?? new OptimizerConfig(),
            schedule ?? new LearningRateSchedule((optimizer ?? new OptimizerConfig()).DefaultLearningRate),
            options ?? new TrainingOptions(), corpus.Train, corpus.Validation, corpus.Name)
    {
    }

    /// <summary>The model being trained.</summary>
    public CharRnnModel Model { get; }

    /// <summary>Its characters.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Where each step's chunk comes from.</summary>
    public StreamBatcher Batcher { get; }

    /// <summary>The hidden state carried into the next chunk, [L, B, H].</summary>
    public RecurrentState State { get; }

    /// <summary>Ids of the validation text.</summary>
    public int[] Validation { get; }

    /// <summary>What the text is.</summary>
    public string DataName { get; }

    /// <inheritdoc/>
    protected override LossStats TrainStep(long step)
    {
        if (Batcher.StartsEpoch(step)) State.Reset();
        Batcher.Fill(step, _inputs, _targets);
        return Model.TrainStep(_inputs, _targets, Options.SequenceLength, State);
    }

    /// <inheritdoc/>
    protected override LossStats Validate() =>
        Evaluator.Evaluate(Model, Validation, Options.Batch, Options.SequenceLength, Options.EvalMaxCharacters);

    /// <inheritdoc/>
    public override void SaveCheckpoint(string path) => TrainingCheckpoint.Save(path, Capture());

    /// <summary>A host copy of everything needed to continue exactly (for a checkpoint).</summary>
    public TrainingSnapshot Capture() => new(
        Model.Spec, Vocabulary, Optimizer.Config, Schedule, Options, Step, Optimizer.StepCount,
        Model.Rnn.DropoutSeed, Model.DropoutCounter,
        Model.StateDict(),
        CaptureOptimizerState(),
        State.Hidden.ToHost(), State.Cell?.ToHost(), DataName);

    /// <summary>
    /// Continues from a snapshot: parameters, optimizer state and step count, dropout generator,
    /// carried hidden state and step.
    /// </summary>
    /// <exception cref="InvalidDataException">The snapshot does not fit this trainer (model, optimizer or batch shape differ).</exception>
    public void Restore(TrainingSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Spec != Model.Spec)
            throw new InvalidDataException($"the checkpoint's model ({snapshot.Spec}) differs from this one ({Model.Spec})");
        if (!snapshot.Vocabulary.SameAs(Vocabulary))
            throw new InvalidDataException($"the checkpoint's vocabulary ({snapshot.Vocabulary.Count} characters) differs from this one ({Vocabulary.Count})");
        if (snapshot.Optimizer.Normalized != Optimizer.Config)
            throw new InvalidDataException($"the checkpoint's optimizer ({snapshot.Optimizer}) differs from this one ({Optimizer.Config})");
        if (snapshot.Options.Batch != Options.Batch || snapshot.Options.SequenceLength != Options.SequenceLength)
            throw new InvalidDataException($"the checkpoint was trained with batch {snapshot.Options.Batch} and seq {snapshot.Options.SequenceLength}, not {Options.Batch} and {Options.SequenceLength}");
        var parameters = snapshot.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value);
        Model.LoadStateDict(parameters, source: "checkpoint");
        if (snapshot.Hidden.Shape != State.Hidden.Shape)
            throw new InvalidDataException($"checkpoint: the carried hidden state has shape {snapshot.Hidden.Shape} but {State.Hidden.Shape} was expected");
        if (State.Cell is not null && (snapshot.Cell is null || snapshot.Cell.Shape != State.Cell.Shape))
            throw new InvalidDataException($"checkpoint: the carried cell state is missing or not {State.Cell.Shape}");
        RestoreOptimizer(snapshot.OptimizerState, snapshot.OptimizerStep, snapshot.Step);
        State.Hidden.CopyFrom(snapshot.Hidden.ConvertTo(State.Hidden.DType));
        State.Cell?.CopyFrom(snapshot.Cell!.ConvertTo(State.Cell.DType));
        Model.Rnn.DropoutSeed = snapshot.DropoutSeed;
        Model.DropoutCounter = snapshot.DropoutCounter;
    }

    /// <summary>Frees the optimizer state and the carried hidden state (not the model).</summary>
    public override void Dispose()
    {
        base.Dispose();
        State.Dispose();
    }

    private static CharRnnModel Checked(CharRnnModel model, Vocabulary vocabulary, int[] validation)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(validation);
        if (vocabulary.Count != model.Spec.VocabSize)
            throw new ArgumentException($"the vocabulary has {vocabulary.Count} characters but the model's is {model.Spec.VocabSize}");
        if (validation.Length < 2) throw new ArgumentException($"the validation text needs at least 2 characters, got {validation.Length}");
        return model;
    }
}
