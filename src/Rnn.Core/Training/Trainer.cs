namespace GpuRnn.Training;

/// <summary>
/// Trains a <see cref="TaskModel"/> on <see cref="TaskData"/> with the shared
/// <see cref="TrainingLoop"/>: each step's loss and validation come from the data's
/// <see cref="BatchSource"/> (the step's batch of examples, a pure function of the step; or for the
/// character model the step's chunk of parallel streams with the state carried from the last).
/// </summary>
/// <remarks>
/// Given a <see cref="ICommunicator"/> of N ranks (one <see cref="Trainer"/> per rank, built alike),
/// it trains one model data-parallel: rank r computes the gradient of its B / N examples (streams) of
/// the global batch B; the ranks' gradients are summed in the fixed rank order and divided by the
/// global count before clipping and the optimizer, and the loss statistics are reduced with them, so
/// every rank applies the same update. Rank 0's initial weights are broadcast once; checkpoints check
/// that every rank's weights are the same and gather the carried state into the one-process layout.
/// Every rank then calls the methods that read or write the state (<see cref="TrainingLoop.Run"/>,
/// <see cref="TrainingLoop.EvaluateNow"/>, <see cref="Capture"/>, <see cref="SaveCheckpoint"/>,
/// <see cref="Restore"/>) alike and in the same order: all but <see cref="Restore"/> communicate.
/// </remarks>
public sealed class Trainer : TrainingLoop
{
    private readonly BatchSource _source;
    private readonly DataParallel _parallel;

    /// <summary>Prepares training of <paramref name="model"/> (which the caller keeps and disposes).</summary>
    /// <param name="model">The model to train.</param>
    /// <param name="data">The training and validation data.</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="schedule">The learning rate of every step.</param>
    /// <param name="options">Batch (the global batch B over every rank), steps, clipping, evaluation.</param>
    /// <param name="communicator">The ranks that train the model together (default: this process alone).</param>
    /// <exception cref="ArgumentException">A setting is invalid, the data has fewer examples than one batch, the batch does not divide by the ranks, or the ranks' settings differ.</exception>
    public Trainer(TaskModel model, TaskData data, OptimizerConfig optimizer, LearningRateSchedule schedule, TrainingOptions options,
        ICommunicator? communicator = null)
        : base((model ?? throw new ArgumentNullException(nameof(model))).Parameters, optimizer, schedule, options)
    {
        ArgumentNullException.ThrowIfNull(data);
        Model = model;
        Data = data;
        Communicator = communicator ?? SingleProcessCommunicator.Instance;
        _parallel = new DataParallel(Communicator);
        DataParallel.Share(options.Batch, Communicator);
        // Checks one batch now, with a message naming the option to change.
        data.BatchesPerEpoch(options.Batch);
        _parallel.CheckSameSettings($"{model.Spec.ToJson()}|{model.DType}|{Optimizer.Config}|{schedule}|{options.ToJson()}|{data.Name}");
        _parallel.BroadcastFromRankZero(model.Parameters);
        _source = data.CreateSource(model, options, Communicator);
    }

    /// <summary>
    /// Prepares training of a character model on <paramref name="corpus"/> (its training ids read as
    /// streams, its validation ids), with <c>gpurnn train</c>'s choices for what is left out: Adam at
    /// a constant <see cref="OptimizerConfig.DefaultLearningRate"/> (0.005).
    /// </summary>
    /// <param name="model">The model to train (which the caller keeps and disposes); its vocabulary size must be the corpus's.</param>
    /// <param name="corpus">The text, split into training and validation ids.</param>
    /// <param name="options">Batch shape, steps, clipping, evaluation (default: <see cref="TrainingOptions"/>'s defaults, 1,000 steps of 32 x 64 characters).</param>
    /// <param name="optimizer">The optimizer (default: Adam with PyTorch's settings).</param>
    /// <param name="schedule">The learning rate of every step (default: the optimizer's <see cref="OptimizerConfig.DefaultLearningRate"/>, constant).</param>
    /// <param name="communicator">The ranks that train the model together (default: this process alone); each takes B / N of the streams.</param>
    /// <exception cref="ArgumentException">A setting is invalid, the vocabularies differ, the text is shorter than one batch, or the batch does not divide by the ranks.</exception>
    public Trainer(CharRnnModel model, TextCorpus corpus, TrainingOptions? options = null, OptimizerConfig? optimizer = null,
        LearningRateSchedule? schedule = null, ICommunicator? communicator = null)
        : this(Checked(model, corpus), new StreamTaskData(corpus.Name, corpus.Train, corpus.Validation, (options ?? new TrainingOptions()).SequenceLength),
            optimizer ?? new OptimizerConfig(), schedule ?? new LearningRateSchedule((optimizer ?? new OptimizerConfig()).DefaultLearningRate),
            options ?? new TrainingOptions(), communicator)
    {
    }

    /// <summary>The model being trained.</summary>
    public TaskModel Model { get; }

    /// <summary>Where the batches come from.</summary>
    public TaskData Data { get; }

    /// <summary>The ranks that train the model together (<see cref="SingleProcessCommunicator"/> when alone).</summary>
    public ICommunicator Communicator { get; }

    /// <inheritdoc/>
    public override string Unit => Model.Unit;

    /// <inheritdoc/>
    protected override LossStats TrainStep(long step)
    {
        if (!_parallel.IsParallel) return _source.TrainStep(step);
        var counter = Model.DropoutCounter;
        var start = _parallel.DropoutStart(counter);
        Model.DropoutCounter = start;
        var local = _source.TrainStep(step);
        var advance = Model.DropoutCounter - start;
        var global = _parallel.ReduceStep(Parameters, local, ref advance);
        // Every rank's counter moves on by what the ranks masked together, as one process's would.
        Model.DropoutCounter = counter + advance;
        return global;
    }

    /// <inheritdoc/>
    protected override LossStats Validate() => _source.Validate();

    /// <inheritdoc/>
    protected override bool AnyRank(bool mine) => _parallel.AnyRank(mine);

    /// <summary>Writes a checkpoint (<see cref="Capture"/>); with several ranks, rank 0 alone writes it.</summary>
    public override void SaveCheckpoint(string path)
    {
        var snapshot = Capture();
        if (Communicator.Rank == 0) Checkpoint.Save(path, snapshot);
    }

    /// <summary>
    /// A host copy of everything needed to continue exactly (for a checkpoint). With several ranks,
    /// every rank calls it: the carried state is gathered into the one-process layout and every
    /// rank's weights and optimizer state are checked against rank 0's.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ranks' weights differ.</exception>
    public TaskSnapshot Capture()
    {
        var parameters = Model.StateDict();
        var optimizerState = CaptureOptimizerState();
        _parallel.CheckSameWeights(parameters.Concat(optimizerState), Step);
        return new(Model.Spec, Optimizer.Config, Schedule, Options, Step, Optimizer.StepCount,
            Model.DropoutSeed, Model.DropoutCounter, parameters, optimizerState, Data.Name, _source.CaptureState());
    }

    /// <summary>Continues from a snapshot: parameters, optimizer state, carried state, dropout stream and step.</summary>
    /// <exception cref="InvalidDataException">The snapshot does not fit this trainer (task, model, optimizer or batch differ).</exception>
    public void Restore(TaskSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Spec.ToJson() != Model.Spec.ToJson())
            throw new InvalidDataException($"the checkpoint's model ({snapshot.Spec}) differs from this one ({Model.Spec})");
        if (snapshot.Optimizer.Normalized != Optimizer.Config)
            throw new InvalidDataException($"the checkpoint's optimizer ({snapshot.Optimizer}) differs from this one ({Optimizer.Config})");
        _source.CheckResume(snapshot.Options, Options);
        Model.LoadStateDict(snapshot.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value), source: "checkpoint");
        _source.RestoreState(snapshot.State);
        RestoreOptimizer(snapshot.OptimizerState, snapshot.OptimizerStep, snapshot.Step);
        Model.DropoutSeed = snapshot.DropoutSeed;
        Model.DropoutCounter = snapshot.DropoutCounter;
    }

    private static CharRnnModel Checked(CharRnnModel model, TextCorpus corpus)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(corpus);
        if (corpus.Vocabulary.Count != model.VocabSize)
            throw new ArgumentException($"the vocabulary has {corpus.Vocabulary.Count} characters but the model's is {model.VocabSize}");
        return model;
    }

    /// <summary>Frees the optimizer state and the carried state (not the model or the data).</summary>
    public override void Dispose()
    {
        base.Dispose();
        _source.Dispose();
    }
}

/// <summary>
/// Everything needed to continue training a task model exactly, in host memory: what a task
/// checkpoint holds. Made by <see cref="Trainer.Capture"/>, applied by <see cref="Trainer.Restore"/>.
/// </summary>
/// <param name="Spec">The task and model (vocabularies, labels, classes included).</param>
/// <param name="Optimizer">The optimizer and its hyper-parameters.</param>
/// <param name="Schedule">The learning-rate schedule.</param>
/// <param name="Options">Batch, steps, clipping, evaluation.</param>
/// <param name="Step">Training steps completed.</param>
/// <param name="OptimizerStep">Optimizer updates applied.</param>
/// <param name="DropoutSeed">Seed of the dropout masks.</param>
/// <param name="DropoutCounter">Counter of the dropout stream.</param>
/// <param name="Parameters">Model parameters by name, in state_dict order.</param>
/// <param name="OptimizerState">Optimizer state by <c>{parameter}.{buffer}</c>.</param>
/// <param name="DataName">What the model was trained on (a path or a built-in generator's name).</param>
/// <param name="State">State carried into the next step (the character model's <c>train.hidden</c> [L, B, H] and <c>train.cell</c>); empty for the other tasks.</param>
public sealed record TaskSnapshot(
    TaskSpec Spec,
    OptimizerConfig Optimizer,
    LearningRateSchedule Schedule,
    TrainingOptions Options,
    long Step,
    long OptimizerStep,
    ulong DropoutSeed,
    ulong DropoutCounter,
    IReadOnlyList<KeyValuePair<string, HostTensor>> Parameters,
    IReadOnlyList<KeyValuePair<string, HostTensor>> OptimizerState,
    string DataName,
    IReadOnlyList<KeyValuePair<string, HostTensor>>? State = null)
{
    /// <summary>State carried into the next step (the character model's <c>train.hidden</c> [L, B, H] and <c>train.cell</c>); empty for the other tasks.</summary>
    public IReadOnlyList<KeyValuePair<string, HostTensor>> State { get; init; } = State ?? [];
}
