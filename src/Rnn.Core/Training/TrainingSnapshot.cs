namespace GpuRnn.Training;

/// <summary>
/// What a character-model checkpoint of an earlier version (<see cref="TrainingCheckpoint"/>,
/// format <c>gpurnn.char_model</c>) holds, in host memory; <see cref="Checkpoint.FromLegacy"/>
/// makes the <see cref="TaskSnapshot"/> that <see cref="Trainer.Restore"/> continues from.
/// </summary>
/// <param name="Spec">The model's architecture.</param>
/// <param name="Vocabulary">The model's characters.</param>
/// <param name="Optimizer">The optimizer and its hyper-parameters.</param>
/// <param name="Schedule">The learning-rate schedule.</param>
/// <param name="Options">Batch shape, steps, clipping, evaluation.</param>
/// <param name="Step">Training steps completed.</param>
/// <param name="OptimizerStep">Optimizer updates applied (Adam's bias-correction count).</param>
/// <param name="DropoutSeed">Seed of the dropout masks.</param>
/// <param name="DropoutCounter">Counter of the dropout generator.</param>
/// <param name="Parameters">Model parameters by name, in state_dict order.</param>
/// <param name="OptimizerState">Optimizer state by <c>{parameter}.{buffer}</c>.</param>
/// <param name="Hidden">The hidden state carried into the next chunk, [L, B, H].</param>
/// <param name="Cell">The LSTM cell state carried into the next chunk, [L, B, H], or null.</param>
/// <param name="DataName">What the model was trained on (a path or the built-in corpus's name).</param>
public sealed record TrainingSnapshot(
    CharModelSpec Spec,
    Vocabulary Vocabulary,
    OptimizerConfig Optimizer,
    LearningRateSchedule Schedule,
    TrainingOptions Options,
    long Step,
    long OptimizerStep,
    ulong DropoutSeed,
    ulong DropoutCounter,
    IReadOnlyList<KeyValuePair<string, HostTensor>> Parameters,
    IReadOnlyList<KeyValuePair<string, HostTensor>> OptimizerState,
    HostTensor Hidden,
    HostTensor? Cell,
    string DataName);
