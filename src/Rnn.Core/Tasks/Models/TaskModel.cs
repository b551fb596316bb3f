namespace GpuRnn.Tasks;

/// <summary>
/// A model of one of the sequence tasks (<see cref="TaskSpec"/>): its parameters live on one
/// backend; a training batch accumulates the gradient of the batch's mean loss. Dropout masks come
/// from one counter-based stream (<see cref="DropoutSeed"/>, <see cref="DropoutCounter"/>) shared by
/// every recurrent stack and output dropout of the model, so training resumes exactly. A
/// <see cref="Module"/>: the subclasses register their layers, which names the parameters.
/// </summary>
public abstract class TaskModel : Module
{
    private readonly List<RnnStack> _stacks = [];
    private ulong _dropoutSeed;

    /// <summary>Keeps the backend and the spec (validated).</summary>
    protected TaskModel(IBackend backend, TaskSpec spec, DType dtype, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (!dtype.IsFloatingPoint() || !backend.Supports(dtype))
            throw new ArgumentException($"backend '{backend.Name}' cannot hold {dtype.DisplayName()} parameters");
        Backend = backend;
        Spec = spec;
        DType = dtype;
        OutputDropout = RegisterModule("dropout", new Dropout(spec.Dropout));
        _dropoutSeed = CounterRng.Hash(seed, 0xD50);
    }

    /// <summary>The backend that holds the parameters.</summary>
    public IBackend Backend { get; }

    /// <summary>The task and architecture.</summary>
    public TaskSpec Spec { get; }

    /// <summary>Parameter dtype.</summary>
    public DType DType { get; }

    /// <summary>What a batch's count of predictions counts: <c>sequences</c> or <c>tokens</c>.</summary>
    public abstract string Unit { get; }

    /// <summary>Dropout before the output layer, in training.</summary>
    protected Dropout OutputDropout { get; }

    /// <summary>Seed of every dropout mask of the model.</summary>
    public virtual ulong DropoutSeed
    {
        get => _dropoutSeed;
        set
        {
            _dropoutSeed = value;
            for (var i = 0; i < _stacks.Count; i++) _stacks[i].DropoutSeed = CounterRng.Hash(value, (ulong)i);
        }
    }

    /// <summary>Counter of the dropout stream: advances by the elements masked; saved in checkpoints.</summary>
    public virtual ulong DropoutCounter { get; set; }

    /// <summary>
    /// Accumulates into the gradients the gradient of the mean loss over <paramref name="examples"/>
    /// and returns the batch's loss statistics (before the update).
    /// </summary>
    public abstract LossStats TrainBatch(IReadOnlyList<SequenceExample> examples);

    /// <summary>The loss statistics of a batch (no dropout, no gradient).</summary>
    public abstract LossStats EvaluateBatch(IReadOnlyList<SequenceExample> examples);

    /// <summary>The summed loss statistics over <paramref name="examples"/>, in batches of <paramref name="batch"/>.</summary>
    public LossStats Evaluate(IReadOnlyList<SequenceExample> examples, int batch)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (batch <= 0) throw new ArgumentException($"batch size must be positive, got {batch}");
        var total = default(LossStats);
        foreach (var chunk in Batches(examples, batch)) total += EvaluateBatch(chunk);
        return total;
    }

    /// <summary>Consecutive batches of at most <paramref name="batch"/> examples.</summary>
    public static IEnumerable<IReadOnlyList<SequenceExample>> Batches(IReadOnlyList<SequenceExample> examples, int batch)
    {
        ArgumentNullException.ThrowIfNull(examples);
        for (var i = 0; i < examples.Count; i += batch)
        {
            var n = Math.Min(batch, examples.Count - i);
            var chunk = new SequenceExample[n];
            for (var j = 0; j < n; j++) chunk[j] = examples[i + j];
            yield return chunk;
        }
    }

    /// <inheritdoc/>
    protected override string Description => $"a {Spec.Task.ToName()} model";

    /// <summary>Registers a recurrent stack whose dropout draws from the model's stream.</summary>
    protected void AddStack(RnnStack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        stack.DropoutSeed = CounterRng.Hash(_dropoutSeed, (ulong)_stacks.Count);
        _stacks.Add(stack);
    }

    /// <summary>Runs <paramref name="forward"/> with <paramref name="stack"/> drawing its masks at the model's counter.</summary>
    protected T WithDropout<T>(RnnStack stack, Func<T> forward)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(forward);
        stack.DropoutCounter = DropoutCounter;
        var result = forward();
        DropoutCounter = stack.DropoutCounter;
        return result;
    }

    /// <summary>Applies the output dropout to <paramref name="x"/> in place when training; returns the mask (or null).</summary>
    protected Tensor? DropOutputs(Tensor x, bool training)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!training || !OutputDropout.IsActive) return null;
        var mask = Backend.Allocate(x.Shape, DType);
        DropoutCounter = OutputDropout.Forward(x, x, mask, CounterRng.Hash(_dropoutSeed, 0xFF), DropoutCounter);
        return mask;
    }
}
