using System.Diagnostics;

namespace GpuRnn.Training;

/// <summary>
/// The training loop every model shares: per step it zeroes the gradients, lets the subclass
/// compute the gradient of its mean loss on that step's batch, clips the global gradient norm,
/// applies one optimizer update at the schedule's rate, refuses a non-finite loss, gradient or
/// weight, evaluates and asks for checkpoints at the configured intervals, and stops between
/// steps on cancellation. What a batch is, what the loss is and how a checkpoint is written
/// belong to the subclass (<see cref="Trainer"/>, which asks the task's data for them).
/// </summary>
public abstract class TrainingLoop : IDisposable
{
    private double _lossSinceEvaluation;
    private long _stepsSinceEvaluation;
    private Tensor[]? _parameterValues;

    /// <summary>Prepares the loop for <paramref name="parameters"/> (which live on one backend).</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    protected TrainingLoop(IReadOnlyList<Parameter> parameters, OptimizerConfig optimizer, LearningRateSchedule schedule, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        schedule.Validate();
        Parameters = parameters;
        Schedule = schedule;
        Options = options;
        Optimizer = Optimizer.Create(parameters, optimizer);
    }

    /// <summary>Every trained parameter.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The optimizer and its state.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning rate of every step.</summary>
    public LearningRateSchedule Schedule { get; }

    /// <summary>Batch shape, steps, clipping, evaluation.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Steps completed.</summary>
    public long Step { get; protected set; }

    /// <summary>The latest validation result, if any.</summary>
    public EvaluationReport? LastEvaluation { get; private set; }

    /// <summary>What a step's count of predictions counts, for progress lines (<c>chars</c>, <c>sequences</c>, <c>tokens</c>).</summary>
    public virtual string Unit => "chars";

    /// <summary>
    /// Trains until <see cref="TrainingOptions.Steps"/> steps are complete, cancellation is requested
    /// (checked between steps), or the loss or gradient stops being finite.
    /// </summary>
    public TrainingResult Run(ITrainingObserver? observer = null, CancellationToken cancellation = default)
    {
        var clock = new Stopwatch();
        var backend = Parameters[0].Value.Backend;
        while (Step < Options.Steps)
        {
            // Decided together: a rank that stopped alone would leave the others waiting for it.
            if (AnyRank(cancellation.IsCancellationRequested)) return new TrainingResult(TrainingStatus.Cancelled, Step);
            clock.Restart();
            foreach (var p in Parameters) backend.Fill(p.Gradient, 0);
            var stats = TrainStep(Step);
            var loss = stats.Loss;
            if (!double.IsFinite(loss))
                return Diverged($"the training loss became {Describe(loss)} at step {Step + 1}");
            var norm = GradientClipping.ClipGlobalNorm(Parameters, Options.Clip);
            if (!double.IsFinite(norm))
                return Diverged($"the gradient norm became {Describe(norm)} at step {Step + 1}");
            var rate = Schedule.RateAt(Step);
            Optimizer.Step(rate);
            // A finite loss and gradient can still overflow a weight; such a state is never reported or saved.
            var values = _parameterValues ??= Parameters.Select(p => p.Value).ToArray();
            var size = backend.SumOfSquares(values);
            if (!double.IsFinite(size))
                return Diverged($"the parameters became {Describe(size)} in the update of step {Step + 1}");
            Step++;
            _lossSinceEvaluation += loss;
            _stepsSinceEvaluation++;
            clock.Stop();
            observer?.OnStep(new StepReport(Step, Options.Steps, loss, rate, norm, (int)stats.Count, clock.Elapsed.TotalSeconds));
            if ((Options.EvalEvery > 0 && Step % Options.EvalEvery == 0) || Step == Options.Steps)
            {
                var report = EvaluateNow();
                observer?.OnEvaluation(report);
            }
            if (Options.CheckpointEvery > 0 && Step % Options.CheckpointEvery == 0 && Step < Options.Steps)
                observer?.OnCheckpoint(this);
        }
        return new TrainingResult(TrainingStatus.Completed, Step);
    }

    /// <summary>Evaluates on the validation data now and records the result.</summary>
    public EvaluationReport EvaluateNow()
    {
        var validation = Validate();
        var train = _stepsSinceEvaluation > 0 ? _lossSinceEvaluation / _stepsSinceEvaluation : double.NaN;
        _lossSinceEvaluation = 0;
        _stepsSinceEvaluation = 0;
        var report = new EvaluationReport(Step, validation, train);
        LastEvaluation = report;
        return report;
    }

    /// <summary>Writes a checkpoint of everything needed to continue exactly (atomically).</summary>
    public abstract void SaveCheckpoint(string path);

    /// <summary>
    /// Accumulates into the (zeroed) gradients the gradient of the mean loss over the batch of step
    /// <paramref name="step"/> (0-based; the batch must be a pure function of the step so a resumed
    /// run reads the same data) and returns the batch's loss statistics.
    /// </summary>
    protected abstract LossStats TrainStep(long step);

    /// <summary>The loss statistics over the validation data (no dropout, no gradient).</summary>
    protected abstract LossStats Validate();

    /// <summary>
    /// Whether <paramref name="mine"/> holds on any rank of a data-parallel run (every rank gets the
    /// same answer), for decisions that must be taken together; this process's value alone by default.
    /// </summary>
    protected virtual bool AnyRank(bool mine) => mine;

    /// <summary>The optimizer state as host tensors named <c>{parameter}.{buffer}</c>.</summary>
    protected IReadOnlyList<KeyValuePair<string, HostTensor>> CaptureOptimizerState() =>
        Optimizer.State.Select(kv => new KeyValuePair<string, HostTensor>(kv.Key, kv.Value.ToHost())).ToList();

    /// <summary>Restores the optimizer state and step counts saved by <see cref="CaptureOptimizerState"/>.</summary>
    /// <exception cref="InvalidDataException">A state tensor is missing, misshapen or extra.</exception>
    protected void RestoreOptimizer(IReadOnlyList<KeyValuePair<string, HostTensor>> saved, long optimizerStep, long step)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var state = new Dictionary<string, HostTensor>();
        foreach (var (name, tensor) in saved) state[name] = tensor;
        var values = new List<(Tensor Target, HostTensor Value)>();
        foreach (var (name, tensor) in Optimizer.State)
        {
            if (!state.TryGetValue(name, out var value))
                throw new InvalidDataException($"checkpoint: optimizer state '{name}' is missing");
            if (value.Shape != tensor.Shape)
                throw new InvalidDataException($"checkpoint: optimizer state '{name}' has shape {value.Shape} but {tensor.Shape} was expected");
            values.Add((tensor, FiniteCheck.Converted(value, tensor.DType, $"optimizer state '{name}'", "checkpoint")));
        }
        if (state.Count != Optimizer.State.Count)
            throw new InvalidDataException($"checkpoint: has {state.Count} optimizer state tensors but {Optimizer.Config.Kind} keeps {Optimizer.State.Count}");
        foreach (var (target, value) in values) target.CopyFrom(value);
        Optimizer.StepCount = optimizerStep;
        Step = step;
    }

    /// <summary>Frees the optimizer state (not the model).</summary>
    public virtual void Dispose()
    {
        Optimizer.Dispose();
        GC.SuppressFinalize(this);
    }

    private TrainingResult Diverged(string what) => new(TrainingStatus.Diverged, Step,
        $"{what}; training stopped (try a lower --lr or a --clip limit)");

    private static string Describe(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "infinite" : "-infinite";
}
