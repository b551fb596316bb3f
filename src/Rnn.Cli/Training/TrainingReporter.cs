using System.Diagnostics;

namespace GpuRnn.Cli.Training;

/// <summary>
/// Watches a training run for the CLI: feeds the progress display and the metrics file, prints
/// each validation result and writes checkpoints when the trainer asks.
/// </summary>
public sealed class TrainingReporter : ITrainingObserver
{
    private readonly MetricsLog _metrics;
    private readonly string _checkpointPath;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly long _startStep;
    private long _characters;
    private double _stepSeconds;

    private readonly Func<LossStats, string> _describe;

    // Where the last good state really is: the checkpoint resumed from until this run first saves.
    private string? _lastSavedPath;

    /// <summary>Creates the reporter for a run that starts at <paramref name="startStep"/>.</summary>
    /// <param name="display">Where progress is shown.</param>
    /// <param name="metrics">The metrics file.</param>
    /// <param name="checkpointPath">Where checkpoints are written.</param>
    /// <param name="startStep">The step the run starts at.</param>
    /// <param name="lastSavedStep">The step of the checkpoint resumed from, or -1.</param>
    /// <param name="describe">How a validation result is written (the task's <see cref="SequenceTask.Describe"/>).</param>
    /// <param name="resumedFrom">The checkpoint resumed from (it holds the state of <paramref name="lastSavedStep"/>), or null.</param>
    public TrainingReporter(IProgressDisplay display, MetricsLog metrics, string checkpointPath, long startStep, long lastSavedStep,
        Func<LossStats, string> describe, string? resumedFrom = null)
    {
        _lastSavedPath = lastSavedStep >= 0 ? resumedFrom ?? checkpointPath : null;
        _describe = describe ?? throw new ArgumentNullException(nameof(describe));
        Display = display;
        _metrics = metrics;
        _checkpointPath = checkpointPath;
        _startStep = startStep;
        LastSavedStep = lastSavedStep;
    }

    /// <summary>Where progress is shown.</summary>
    public IProgressDisplay Display { get; set; }

    /// <summary>The step of the last checkpoint written (or resumed from); -1 when there is none.</summary>
    public long LastSavedStep { get; private set; }

    /// <summary>Wall-clock time since the run started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Characters trained on in this run.</summary>
    public long Characters => _characters;

    /// <summary>Training throughput in this run: characters over the time spent in training steps.</summary>
    public double CharactersPerSecond => _stepSeconds > 0 ? _characters / _stepSeconds : 0;

    /// <inheritdoc/>
    public void OnStep(in StepReport report)
    {
        _characters += report.Characters;
        _stepSeconds += report.Seconds;
        _metrics.AddStep(report);
        // Throughput counts training steps only; the time left also counts validations, at the pace so far.
        var seconds = _clock.Elapsed.TotalSeconds;
        var done = report.Step - _startStep;
        var perSecond = CharactersPerSecond;
        var remaining = TimeSpan.FromSeconds(done > 0 ? seconds / done * (report.TotalSteps - report.Step) : 0);
        Display.Update(report, perSecond, remaining);
    }

    /// <inheritdoc/>
    public void OnEvaluation(in EvaluationReport report)
    {
        _metrics.AddEvaluation(report);
        Display.WriteLine($"validation at step {report.Step}: {_describe(report.Validation)}");
    }

    /// <inheritdoc/>
    public void OnCheckpoint(TrainingLoop trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Save(trainer);
    }

    /// <summary>Writes a checkpoint of the trainer's current state.</summary>
    public void Save(TrainingLoop trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        trainer.SaveCheckpoint(_checkpointPath);
        _metrics.Flush();
        LastSavedStep = trainer.Step;
        _lastSavedPath = _checkpointPath;
    }

    /// <summary>
    /// What both <c>train</c> commands do when a run stops early. Interrupted: saves a checkpoint
    /// and the plot, prints how to continue and returns the exit code. Diverged: saves the plot
    /// and throws with where the last good checkpoint is. Completed: returns null, and the caller
    /// finishes the run.
    /// </summary>
    /// <param name="result">How the run ended.</param>
    /// <param name="trainer">The trainer that ran.</param>
    /// <param name="savePlot">Writes the loss plot.</param>
    /// <param name="output">Where the interruption is reported.</param>
    public int? EndEarly(TrainingResult result, TrainingLoop trainer, Action savePlot, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(savePlot);
        ArgumentNullException.ThrowIfNull(output);
        switch (result.Status)
        {
            case TrainingStatus.Cancelled:
                Save(trainer);
                savePlot();
                output.WriteLine($"interrupted at step {trainer.Step}: saved {_checkpointPath}; continue with: gpurnn train --resume {_checkpointPath}");
                return ExitCodes.Interrupted;
            case TrainingStatus.Diverged:
                savePlot();
                var kept = LastSavedStep >= 0
                    ? $"the last good checkpoint (step {LastSavedStep}) is kept at {_lastSavedPath}"
                    : "no checkpoint had been written yet";
                throw new CliException($"{result.Message}; {kept}", ExitCodes.Diverged);
            default:
                return null;
        }
    }
}
