namespace GpuRnn.Training;

/// <summary>What one training step did.</summary>
/// <param name="Step">Steps completed, counting this one.</param>
/// <param name="TotalSteps">The step training ends at.</param>
/// <param name="Loss">Mean training loss of the step's chunk, nats per character.</param>
/// <param name="LearningRate">The rate of this step's update.</param>
/// <param name="GradientNorm">Global gradient norm before clipping.</param>
/// <param name="Characters">Characters predicted in this step (B * T).</param>
/// <param name="Seconds">Wall-clock time of the step.</param>
public readonly record struct StepReport(long Step, long TotalSteps, double Loss, double LearningRate, double GradientNorm, int Characters, double Seconds);

/// <summary>A validation result.</summary>
/// <param name="Step">Steps completed when it was measured.</param>
/// <param name="Validation">Loss sum, correct predictions and count over the validation text.</param>
/// <param name="TrainLoss">Mean training loss over the steps since the previous evaluation.</param>
public readonly record struct EvaluationReport(long Step, LossStats Validation, double TrainLoss);

/// <summary>
/// Receives a trainer's progress (to draw a progress bar, log metrics, save checkpoints); all
/// calls happen on the training thread, between steps.
/// </summary>
public interface ITrainingObserver
{
    /// <summary>After every step.</summary>
    void OnStep(in StepReport report);

    /// <summary>After every evaluation on the validation text.</summary>
    void OnEvaluation(in EvaluationReport report);

    /// <summary>When the trainer's checkpoint interval comes round (not at the end: the caller saves then).</summary>
    void OnCheckpoint(TrainingLoop trainer);
}

/// <summary>How a training run ended.</summary>
public enum TrainingStatus
{
    /// <summary>Reached the requested step.</summary>
    Completed,

    /// <summary>Stopped early on request (Ctrl-C); the state after the last completed step is intact.</summary>
    Cancelled,

    /// <summary>The loss or the gradient became NaN or infinite; parameters are not to be trusted.</summary>
    Diverged,
}

/// <summary>The end of a training run.</summary>
/// <param name="Status">Why it ended.</param>
/// <param name="Step">Steps completed.</param>
/// <param name="Message">For <see cref="TrainingStatus.Diverged"/>, what went wrong and where.</param>
public sealed record TrainingResult(TrainingStatus Status, long Step, string? Message = null);
