namespace GpuRnn.Data;

/// <summary>
/// The examples a task trains and validates on. The batch of a training step is a pure function
/// of the step, so a resumed run reads exactly the data it would have read.
/// </summary>
public abstract class TaskData
{
    /// <summary>Keeps the validation examples.</summary>
    protected TaskData(string name, IReadOnlyList<SequenceExample> validation)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(validation);
        if (validation.Count == 0) throw new ArgumentException($"{name} has no validation examples");
        Name = name;
        Validation = validation;
    }

    /// <summary>Where the data came from (a path or a generator's name), for messages and checkpoints.</summary>
    public string Name { get; }

    /// <summary>The validation examples.</summary>
    public IReadOnlyList<SequenceExample> Validation { get; }

    /// <summary>Training batches in one pass over the data, or 0 when it is generated without end.</summary>
    public abstract long BatchesPerEpoch(int batch);

    /// <summary>The <paramref name="batch"/> examples of training step <paramref name="step"/> (0-based).</summary>
    public abstract IReadOnlyList<SequenceExample> TrainBatch(long step, int batch);

    /// <summary>
    /// Where <see cref="Trainer"/> takes each step's loss from, for <paramref name="model"/> trained with
    /// <paramref name="options"/>: by default the model's loss on <see cref="TrainBatch"/>, validated on
    /// <see cref="Validation"/>. The caller disposes it.
    /// </summary>
    /// <param name="model">The model trained.</param>
    /// <param name="options">The training options; their batch is the global batch B.</param>
    /// <param name="communicator">The ranks that train together (default: this process alone): rank r trains on examples [r * B / N, (r + 1) * B / N) of each batch and validates on its part of the validation examples.</param>
    public virtual BatchSource CreateSource(TaskModel model, TrainingOptions options, ICommunicator? communicator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        return new ExampleSource(this, model, options, new DataParallel(communicator ?? SingleProcessCommunicator.Instance));
    }
}

/// <summary>
/// A fixed set of training examples read in a new random order every pass (the order of pass e
/// is drawn from the seed and e); each pass's last partial batch is left out.
/// </summary>
public sealed class FixedTaskData : TaskData
{
    private readonly IReadOnlyList<SequenceExample> _train;
    private readonly ulong _seed;
    private long _epoch = -1;
    private int[] _order = [];

    /// <summary>Creates the data.</summary>
    /// <exception cref="ArgumentException">There are no training examples.</exception>
    public FixedTaskData(string name, IReadOnlyList<SequenceExample> train, IReadOnlyList<SequenceExample> validation, ulong seed)
        : base(name, validation)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0) throw new ArgumentException($"{name} has no training examples");
        _train = train;
        _seed = seed;
    }

    /// <summary>The training examples.</summary>
    public IReadOnlyList<SequenceExample> Train => _train;

    /// <inheritdoc/>
    public override long BatchesPerEpoch(int batch) => _train.Count / CheckBatch(batch);

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> TrainBatch(long step, int batch)
    {
        var perEpoch = BatchesPerEpoch(batch);
        var epoch = step / perEpoch;
        if (epoch != _epoch)
        {
            _order = Shuffle(_train.Count, CounterRng.Hash(_seed, (ulong)epoch));
            _epoch = epoch;
        }
        var start = (int)(step % perEpoch) * batch;
        var examples = new SequenceExample[batch];
        for (var i = 0; i < batch; i++) examples[i] = _train[_order[start + i]];
        return examples;
    }

    private int CheckBatch(int batch)
    {
        if (batch <= 0) throw new ArgumentException($"batch size must be positive, got {batch}");
        if (batch > _train.Count)
            throw new ArgumentException($"{Name} has {_train.Count} training examples, fewer than one batch of {batch} (use a smaller --batch or more data)");
        return batch;
    }

    /// <summary>A permutation of [0, n) by Fisher-Yates from a counter-based stream.</summary>
    public static int[] Shuffle(int n, ulong seed)
    {
        var order = new int[n];
        for (var i = 0; i < n; i++) order[i] = i;
        var rng = new RandomStream(seed);
        for (var i = n - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}

/// <summary>Examples generated without end: example k of step s is the generator's example s * B + k.</summary>
/// <param name="name">The generator's name.</param>
/// <param name="generate">Example number n (a pure function of n).</param>
/// <param name="validation">Validation examples (from another stream of the generator).</param>
public sealed class GeneratedTaskData(string name, Func<long, SequenceExample> generate, IReadOnlyList<SequenceExample> validation)
    : TaskData(name, validation)
{
    /// <inheritdoc/>
    public override long BatchesPerEpoch(int batch) => 0;

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> TrainBatch(long step, int batch)
    {
        if (batch <= 0) throw new ArgumentException($"batch size must be positive, got {batch}");
        var examples = new SequenceExample[batch];
        for (var i = 0; i < batch; i++) examples[i] = generate(step * batch + i);
        return examples;
    }
}
