namespace GpuRnn.Tasks;

/// <summary>What a training run prints at its end besides the validation: the sample the character model draws.</summary>
/// <param name="SampleLength">Characters sampled (0 = none).</param>
/// <param name="Temperature">Temperature of that sample.</param>
/// <param name="Seed">Seed of its draws (the run's seed).</param>
public sealed record TrainingSummaryOptions(int SampleLength, double Temperature, ulong Seed);

// A task's defaults of a training run and the text of `gpurnn train` that depends on the task: one
// training path serves every task, and what differs between them is asked of the task here.
public abstract partial class SequenceTask
{
    /// <summary>Default tokens per training example of a windowed task (<c>--seq</c>).</summary>
    public virtual int DefaultWindow => 35;

    /// <summary>Default steps between validations (and checkpoints): a fifth of the run, at least 50.</summary>
    public virtual int DefaultEvalEvery => (int)Math.Max(50, DefaultSteps / 5);

    /// <summary>Default peak learning rate of <paramref name="optimizer"/>: SGD's and RMSprop's are the optimizer's, Adam's and AdamW's the task's.</summary>
    public virtual double DefaultLearningRateOf(OptimizerKind optimizer) => optimizer switch
    {
        OptimizerKind.Sgd => 0.1,
        OptimizerKind.RmsProp => 0.001,
        _ => DefaultLearningRate,
    };

    /// <summary>What the data is, after <c>data: </c>: its name and how many training and validation examples it has.</summary>
    public virtual string DescribeData(TaskSpec spec, TaskData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var train = data is FixedTaskData fixedData ? I($"{fixedData.Train.Count:N0}") : "generated without end";
        return I($"{data.Name}: training examples {train}, validation examples {data.Validation.Count:N0}");
    }

    /// <summary>The model, after <c>model: </c> (by default the spec's <see cref="TaskSpec.ToString"/>).</summary>
    public virtual string DescribeModel(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.ToString();
    }

    /// <summary>The line naming the model's parameter count, or null where <see cref="DescribeModel"/> already counts them.</summary>
    public virtual string? DescribeParameters(long count) => I($"parameters: {count:N0}");

    /// <summary>What one training step reads, e.g. <c>32 examples</c>.</summary>
    public virtual string DescribeBatch(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return I($"{options.Batch} examples");
    }

    /// <summary>The title of the loss plot: task, cell and size, and the data's file name.</summary>
    public virtual string PlotTitle(TaskSpec spec, string dataName)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return $"{Name}: {ModelTitle(spec)} on {Path.GetFileName(dataName)}";
    }

    /// <summary>
    /// The judgement printed when training has ended (<c>validation: </c> and its details): by default
    /// <see cref="Evaluator.Evaluate"/> on the data's validation examples, split between the trainer's
    /// ranks (a collective: every rank calls it).
    /// </summary>
    /// <param name="trainer">The trainer that ran (its model is not changed).</param>
    /// <param name="beam">Beam width of decoding tasks (1 = greedy).</param>
    public virtual TaskReport EvaluateTrained(Trainer trainer, int beam)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return Evaluator.Evaluate(trainer.Model, trainer.Data.Validation, trainer.Options.Batch, beam, trainer.Communicator);
    }

    /// <summary>Lines printed last, after the training time (the character model's sample and arithmetic check); none by default.</summary>
    public virtual IEnumerable<string> AfterTraining(TaskModel model, TaskData data, TrainingSummaryOptions options) => [];

    /// <summary>Cell and size, e.g. <c>lstm 1x128</c>.</summary>
    protected static string ModelTitle(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return $"{spec.Cell.ToName()} {spec.NumLayers}x{spec.HiddenSize}";
    }
}
