using System.Diagnostics;

namespace GpuRnn;

/// <summary>
/// Trains a <see cref="CharRnnModel"/> with truncated BPTT: each step reads the next chunk of B
/// parallel streams (<see cref="StreamBatcher"/>), carries the hidden state over from the previous
/// chunk (detached; reset at the start of every pass), computes the mean cross-entropy and its
/// gradient, clips the global gradient norm and applies one optimizer update at the schedule's rate.
/// Every random draw is counter-based and every reduction has a fixed order, so a run that is
/// captured, restored and continued gives the same parameters as one that never stopped.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly int[] _inputs;
    private readonly int[] _targets;
    private double _lossSinceEvaluation;
    private long _stepsSinceEvaluation;
    private Tensor[]? _parameterValues;

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
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(validation);
        options.Validate();
        schedule.Validate();
        if (vocabulary.Count != model.Spec.VocabSize)
            throw new ArgumentException($"the vocabulary has {vocabulary.Count} characters but the model's is {model.Spec.VocabSize}");
        if (validation.Length < 2) throw new ArgumentException($"the validation text needs at least 2 characters, got {validation.Length}");
        Model = model;
        Vocabulary = vocabulary;
        Schedule = schedule;
        Options = options;
        Validation = validation;
        DataName = dataName;
        Batcher = new StreamBatcher(train, options.Batch, options.SequenceLength);
        Optimizer = Optimizer.Create(model.Parameters, optimizer);
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

    /// <summary>The optimizer and its state.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning rate of every step.</summary>
    public LearningRateSchedule Schedule { get; }

    /// <summary>Batch shape, steps, clipping, evaluation.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Where each step's chunk comes from.</summary>
    public StreamBatcher Batcher { get; }

    /// <summary>The hidden state carried into the next chunk, [L, B, H].</summary>
    public RecurrentState State { get; }

    /// <summary>Ids of the validation text.</summary>
    public int[] Validation { get; }

    /// <summary>What the text is.</summary>
    public string DataName { get; }

    /// <summary>Steps completed.</summary>
    public long Step { get; private set; }

    /// <summary>The latest validation result, if any.</summary>
    public EvaluationReport? LastEvaluation { get; private set; }

    /// <summary>
    /// Trains until <see cref="TrainingOptions.Steps"/> steps are complete, cancellation is requested
    /// (checked between steps), or the loss or gradient stops being finite.
    /// </summary>
    public TrainingResult Run(ITrainingObserver? observer = null, CancellationToken cancellation = default)
    {
        var clock = new Stopwatch();
        while (Step < Options.Steps)
        {
            if (cancellation.IsCancellationRequested) return new TrainingResult(TrainingStatus.Cancelled, Step);
            clock.Restart();
            if (Batcher.StartsEpoch(Step)) State.Reset();
            Batcher.Fill(Step, _inputs, _targets);
            Model.ZeroGrad();
            var stats = Model.TrainStep(_inputs, _targets, Options.SequenceLength, State);
            var loss = stats.Loss;
            if (!double.IsFinite(loss))
                return Diverged($"the training loss became {Describe(loss)} at step {Step + 1}");
            var norm = GradientClipping.ClipGlobalNorm(Model.Parameters, Options.Clip);
            if (!double.IsFinite(norm))
                return Diverged($"the gradient norm became {Describe(norm)} at step {Step + 1}");
            var rate = Schedule.RateAt(Step);
            Optimizer.Step(rate);
            // A finite loss and gradient can still overflow a weight; such a state is never reported or saved.
            var size = ParameterSquares();
            if (!double.IsFinite(size))
                return Diverged($"the parameters became {Describe(size)} in the update of step {Step + 1}");
            Step++;
            _lossSinceEvaluation += loss;
            _stepsSinceEvaluation++;
            clock.Stop();
            observer?.OnStep(new StepReport(Step, Options.Steps, loss, rate, norm, Batcher.CharactersPerChunk, clock.Elapsed.TotalSeconds));
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

    /// <summary>Evaluates on the validation text now and records the result.</summary>
    public EvaluationReport EvaluateNow()
    {
        var validation = Evaluator.Evaluate(Model, Validation, Options.Batch, Options.SequenceLength, Options.EvalMaxCharacters);
        var train = _stepsSinceEvaluation > 0 ? _lossSinceEvaluation / _stepsSinceEvaluation : double.NaN;
        _lossSinceEvaluation = 0;
        _stepsSinceEvaluation = 0;
        var report = new EvaluationReport(Step, validation, train);
        LastEvaluation = report;
        return report;
    }

    /// <summary>A host copy of everything needed to continue exactly (for a checkpoint).</summary>
    public TrainingSnapshot Capture() => new(
        Model.Spec, Vocabulary, Optimizer.Config, Schedule, Options, Step, Optimizer.StepCount,
        Model.Rnn.DropoutSeed, Model.DropoutCounter,
        Model.StateDict(),
        Optimizer.State.Select(kv => new KeyValuePair<string, HostTensor>(kv.Key, kv.Value.ToHost())).ToList(),
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
        Model.LoadStateDict(parameters, "checkpoint");
        var state = snapshot.OptimizerState.ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (name, tensor) in Optimizer.State)
        {
            if (!state.TryGetValue(name, out var saved))
                throw new InvalidDataException($"checkpoint: optimizer state '{name}' is missing");
            if (saved.Shape != tensor.Shape)
                throw new InvalidDataException($"checkpoint: optimizer state '{name}' has shape {saved.Shape} but {tensor.Shape} was expected");
            tensor.CopyFrom(saved.ConvertTo(tensor.DType));
        }
        if (state.Count != Optimizer.State.Count)
            throw new InvalidDataException($"checkpoint: has {state.Count} optimizer state tensors but {Optimizer.Config.Kind} keeps {Optimizer.State.Count}");
        if (snapshot.Hidden.Shape != State.Hidden.Shape)
            throw new InvalidDataException($"checkpoint: the carried hidden state has shape {snapshot.Hidden.Shape} but {State.Hidden.Shape} was expected");
        State.Hidden.CopyFrom(snapshot.Hidden.ConvertTo(State.Hidden.DType));
        if (State.Cell is not null)
        {
            if (snapshot.Cell is null || snapshot.Cell.Shape != State.Cell.Shape)
                throw new InvalidDataException($"checkpoint: the carried cell state is missing or not {State.Cell.Shape}");
            State.Cell.CopyFrom(snapshot.Cell.ConvertTo(State.Cell.DType));
        }
        Optimizer.StepCount = snapshot.OptimizerStep;
        Model.Rnn.DropoutSeed = snapshot.DropoutSeed;
        Model.DropoutCounter = snapshot.DropoutCounter;
        Step = snapshot.Step;
    }

    /// <summary>Frees the optimizer state and the carried hidden state (not the model).</summary>
    public void Dispose()
    {
        Optimizer.Dispose();
        State.Dispose();
    }

    private double ParameterSquares()
    {
        var values = _parameterValues ??= Model.Parameters.Select(p => p.Value).ToArray();
        return Model.Backend.SumOfSquares(values);
    }

    private TrainingResult Diverged(string what) => new(TrainingStatus.Diverged, Step,
        $"{what}; training stopped (try a lower --lr or a --clip limit)");

    private static string Describe(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "infinite" : "-infinite";
}
