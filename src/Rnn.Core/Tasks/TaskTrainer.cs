namespace GpuRnn;

/// <summary>
/// Trains a <see cref="TaskModel"/> on <see cref="TaskData"/> with the shared
/// <see cref="TrainingLoop"/>: each step takes the step's batch of examples (a pure function of
/// the step), and validation sums the loss over every validation example.
/// </summary>
public sealed class TaskTrainer : TrainingLoop
{
    /// <summary>Prepares training of <paramref name="model"/> (which the caller keeps and disposes).</summary>
    /// <exception cref="ArgumentException">A setting is invalid, or the data has fewer examples than one batch.</exception>
    public TaskTrainer(TaskModel model, TaskData data, OptimizerConfig optimizer, LearningRateSchedule schedule, TrainingOptions options)
        : base((model ?? throw new ArgumentNullException(nameof(model))).Parameters, optimizer, schedule, options)
    {
        ArgumentNullException.ThrowIfNull(data);
        Model = model;
        Data = data;
        // Checks one batch now, with a message naming the option to change.
        data.BatchesPerEpoch(options.Batch);
    }

    /// <summary>The model being trained.</summary>
    public TaskModel Model { get; }

    /// <summary>Where the batches come from.</summary>
    public TaskData Data { get; }

    /// <inheritdoc/>
    public override string Unit => Model.Unit;

    /// <inheritdoc/>
    protected override LossStats TrainStep(long step) => Model.TrainBatch(Data.TrainBatch(step, Options.Batch));

    /// <inheritdoc/>
    protected override LossStats Validate() => Model.Evaluate(Data.Validation, Options.Batch);

    /// <inheritdoc/>
    public override void SaveCheckpoint(string path) => TaskCheckpoint.Save(path, Capture());

    /// <summary>A host copy of everything needed to continue exactly (for a checkpoint).</summary>
    public TaskSnapshot Capture() => new(Model.Spec, Optimizer.Config, Schedule, Options, Step, Optimizer.StepCount,
        Model.DropoutSeed, Model.DropoutCounter, Model.StateDict(), CaptureOptimizerState(), Data.Name);

    /// <summary>Continues from a snapshot: parameters, optimizer state, dropout stream and step.</summary>
    /// <exception cref="InvalidDataException">The snapshot does not fit this trainer (task, model, optimizer or batch differ).</exception>
    public void Restore(TaskSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Spec.ToJson() != Model.Spec.ToJson())
            throw new InvalidDataException($"the checkpoint's model ({snapshot.Spec}) differs from this one ({Model.Spec})");
        if (snapshot.Optimizer.Normalized != Optimizer.Config)
            throw new InvalidDataException($"the checkpoint's optimizer ({snapshot.Optimizer}) differs from this one ({Optimizer.Config})");
        if (snapshot.Options.Batch != Options.Batch)
            throw new InvalidDataException($"the checkpoint was trained with batch {snapshot.Options.Batch}, not {Options.Batch}");
        Model.LoadStateDict(snapshot.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value), source: "checkpoint");
        RestoreOptimizer(snapshot.OptimizerState, snapshot.OptimizerStep, snapshot.Step);
        Model.DropoutSeed = snapshot.DropoutSeed;
        Model.DropoutCounter = snapshot.DropoutCounter;
    }
}

/// <summary>
/// Everything needed to continue training a task model exactly, in host memory: what a task
/// checkpoint holds. Made by <see cref="TaskTrainer.Capture"/>, applied by <see cref="TaskTrainer.Restore"/>.
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
    string DataName);
