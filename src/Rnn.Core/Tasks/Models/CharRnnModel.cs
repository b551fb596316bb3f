namespace GpuRnn.Tasks;

/// <summary>
/// The model of <see cref="CharLmTask"/> (<c>charlm</c>), a character-level language model:
/// embedding, recurrent stack, dropout, linear decoder and softmax cross-entropy. A
/// <see cref="TaskModel"/> with children <c>embedding</c> (nn.Embedding), <c>rnn</c>
/// (nn.LSTM/GRU/RNN), <c>dropout</c> and <c>decoder</c> (nn.Linear), so its parameters are named
/// as such a PyTorch module's and its state_dict loads into one. Everything lives on one backend.
/// </summary>
/// <remarks>
/// Inputs and targets are time-major [T, B] token ids. A forward continues from a
/// <see cref="RecurrentState"/> and leaves the final state in it (detached), which is how
/// truncated BPTT carries state across chunks. The dropout masks of the stack and of the output
/// are drawn from the stack's stream (<see cref="RnnStack.DropoutSeed"/>), as they always were, so
/// that checkpoints written before the model was a task resume bit for bit.
/// </remarks>
public sealed partial class CharRnnModel : TaskModel
{
    private Workspace? _workspace;

    /// <summary>Creates the model of a <c>charlm</c> spec with fresh parameters drawn from <paramref name="seed"/>.</summary>
    /// <param name="backend">Where parameters live and compute runs.</param>
    /// <param name="spec">The task spec (<see cref="CharLmTask.Spec(CharModelSpec, Vocabulary)"/>).</param>
    /// <param name="seed">Seed of the initial parameters and of the dropout masks.</param>
    /// <param name="dtype">Float32 (every backend) or Float64 (CPU).</param>
    public CharRnnModel(IBackend backend, TaskSpec spec, ulong seed = 0, DType dtype = DType.Float32)
        : base(backend, spec, dtype, seed)
    {
        if (spec.Task != TaskKind.CharLm) throw new ArgumentException($"a character model serves charlm, not {spec.Task.ToName()}");
        Architecture = CharLmTask.Architecture(spec);
        try
        {
            Embedding = RegisterModule("embedding", new Embedding(backend, VocabSize, spec.EmbeddingSize, dtype, CounterRng.Hash(seed, 1)));
            Rnn = RegisterModule("rnn", new RnnStack(backend, spec.Rnn, dtype, CounterRng.Hash(seed, 2), spec.Dropout));
            RecurrentInitializer.Apply(Rnn, spec.RecurrentInit, spec.ForgetBias, CounterRng.Hash(seed, 3));
            Decoder = RegisterModule("decoder", new Linear(backend, spec.HiddenSize, VocabSize, dtype, CounterRng.Hash(seed, 4)));
        }
        catch
        {
            // Frees whatever was registered before the failure.
            Dispose();
            throw;
        }
    }

    /// <summary>Creates the model of <paramref name="architecture"/> over stand-in characters (<see cref="CharLmTask.Spec(CharModelSpec)"/>).</summary>
    public CharRnnModel(IBackend backend, CharModelSpec architecture, ulong seed = 0, DType dtype = DType.Float32)
        : this(backend, CharLmTask.Spec(architecture ?? throw new ArgumentNullException(nameof(architecture))), seed, dtype)
    {
    }

    /// <summary>The architecture in the character model's own terms.</summary>
    public CharModelSpec Architecture { get; }

    /// <summary>Characters in the vocabulary, V.</summary>
    public int VocabSize => Spec.OutputSize;

    /// <inheritdoc/>
    public override string Unit => "chars";

    /// <summary>The character embedding [V, E].</summary>
    public Embedding Embedding { get; }

    /// <summary>The recurrent stack.</summary>
    public RnnStack Rnn { get; }

    /// <summary>The decoder from hidden state to logits: weight [V, H], bias [V].</summary>
    public Linear Decoder { get; }

    /// <summary>Seed of the dropout masks: the stack's, which the output dropout shares.</summary>
    public override ulong DropoutSeed
    {
        get => Rnn.DropoutSeed;
        set => Rnn.DropoutSeed = value;
    }

    /// <summary>
    /// Counter of the dropout generator (shared by the stack's inter-layer dropout and the output
    /// dropout); advances with every training forward and is saved in checkpoints.
    /// </summary>
    public override ulong DropoutCounter
    {
        get => Rnn.DropoutCounter;
        set => Rnn.DropoutCounter = value;
    }

    /// <summary>A zero state for <paramref name="batch"/> sequences.</summary>
    public RecurrentState CreateState(int batch) => new(Backend, Spec.Rnn, batch, DType);

    /// <summary>
    /// The gradient of the mean loss over windows of one length (<see cref="TaskExamples.Windows"/>),
    /// each from a zero state: one chunk [T, B].
    /// </summary>
    /// <exception cref="ArgumentException">The windows differ in length or have no targets.</exception>
    public override LossStats TrainBatch(IReadOnlyList<SequenceExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0 || examples.Any(e => e.Length != examples[0].Length))
            throw new ArgumentException("a character model trains on a batch of windows of one length");
        return Windows(examples, 0, examples.Count, training: true);
    }

    /// <summary>The summed loss over windows, each from a zero state; windows of one length run side by side.</summary>
    public override LossStats EvaluateBatch(IReadOnlyList<SequenceExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var total = default(LossStats);
        for (var i = 0; i < examples.Count;)
        {
            var j = i;
            while (j < examples.Count && examples[j].Length == examples[i].Length) j++;
            total += Windows(examples, i, j - i, training: false);
            i = j;
        }
        return total;
    }

    private LossStats Windows(IReadOnlyList<SequenceExample> examples, int first, int batch, bool training)
    {
        var steps = examples[first].Length;
        int[] inputs = new int[steps * batch], targets = new int[steps * batch];
        for (var b = 0; b < batch; b++)
        {
            var e = examples[first + b];
            if (e.Tokens is null || e.Targets is null) throw new ArgumentException("a character model's window needs its characters and their targets");
            for (var t = 0; t < steps; t++) (inputs[t * batch + b], targets[t * batch + b]) = (e.Tokens[t], e.Targets[t]);
        }
        using var state = CreateState(batch);
        return training ? TrainStep(inputs, targets, steps, state) : Evaluate(inputs, targets, steps, state);
    }

    /// <summary>
    /// One training forward and backward over a chunk: accumulates every parameter's gradient of
    /// the mean cross-entropy and leaves the final state in <paramref name="state"/>.
    /// </summary>
    /// <param name="inputs">Input ids [T, B], row-major.</param>
    /// <param name="targets">Target ids [T, B] (the next characters).</param>
    /// <param name="steps">T.</param>
    /// <param name="state">The state to start from; receives the final state. Its batch is B.</param>
    /// <returns>The chunk's loss sum, correct predictions and count (before the update).</returns>
    public LossStats TrainStep(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int steps, RecurrentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = Prepare(inputs, targets, steps, state);
        Embedding.Forward(w.Inputs, w.Embedded);
        var output = Rnn.Forward(w.Embedded, state.Hidden, state.Cell, training: true);
        try
        {
            var top = output.Output;
            if (OutputDropout.IsActive) DropoutCounter = OutputDropout.Forward(top, top, w.Mask!, Rnn.DropoutSeed, DropoutCounter);
            Decoder.Forward(top, w.Logits);
            // dLogits overwrite the logits: the mean loss's gradient is (softmax - onehot) / (T * B).
            var stats = w.Loss.Compute(w.Logits, w.Targets, w.Logits, steps * state.Batch);
            Decoder.Backward(top, w.Logits, w.TopGradient);
            if (OutputDropout.IsActive) Dropout.Backward(w.TopGradient, w.Mask!, w.TopGradient);
            // The gradient with respect to h0 is not propagated: the carried state is detached.
            using (var grads = Rnn.Backward(w.TopGradient, inputGradient: true))
                Embedding.Backward(w.Inputs, grads.Input!);
            state.CopyFrom(output.Hidden, output.Cell);
            return stats;
        }
        finally
        {
            output.Dispose();
        }
    }

    /// <summary>
    /// Forward only over a chunk (no dropout): the loss statistics, with the final state left in
    /// <paramref name="state"/>.
    /// </summary>
    public LossStats Evaluate(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int steps, RecurrentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = Prepare(inputs, targets, steps, state);
        Embedding.Forward(w.Inputs, w.Embedded);
        using var output = Rnn.Forward(w.Embedded, state.Hidden, state.Cell, training: false);
        Decoder.Forward(output.Output, w.Logits);
        var stats = w.Loss.Compute(w.Logits, w.Targets, null, steps * state.Batch);
        state.CopyFrom(output.Hidden, output.Cell);
        return stats;
    }

    /// <summary>
    /// Feeds <paramref name="inputs"/> [T, B] from <paramref name="state"/> (no dropout) and returns
    /// the logits of the last step, [B, V] row-major in float64; the state moves to after the inputs.
    /// </summary>
    public double[] NextLogits(ReadOnlySpan<int> inputs, int steps, RecurrentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = Prepare(inputs, null, steps, state);
        Embedding.Forward(w.Inputs, w.Embedded);
        using var output = Rnn.Forward(w.Embedded, state.Hidden, state.Cell, training: false);
        using var last = output.Output.Slice(steps - 1, 1);
        using var lastLogits = w.Logits.Reshape(new Shape(steps, state.Batch, VocabSize)).Slice(steps - 1, 1);
        Decoder.Forward(last, lastLogits);
        state.CopyFrom(output.Hidden, output.Cell);
        return lastLogits.ToFloat64Array();
    }

    /// <inheritdoc/>
    protected override string Description => $"a character model ({Architecture})";

    /// <summary>Frees the chunk buffers (the parameters go with the modules).</summary>
    protected override void DisposeCore() => _workspace?.Dispose();

    /// <summary>Checks the sizes, reuses or makes the buffers for [T, B], and uploads the ids.</summary>
    private Workspace Prepare(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int steps, RecurrentState state)
    {
        ThrowIfDisposed();
        if (!ReferenceEquals(state.Backend, Backend))
            throw new ArgumentException($"the state lives on backend '{state.Backend.Name}' but the model is on '{Backend.Name}'");
        if (steps <= 0) throw new ArgumentException($"a chunk needs at least one step, got {steps}");
        var batch = state.Batch;
        if (inputs.Length != steps * batch)
            throw new ArgumentException($"inputs has {inputs.Length} ids but [T, B] = [{steps}, {batch}] needs {steps * batch}");
        if (!targets.IsEmpty && targets.Length != inputs.Length)
            throw new ArgumentException($"targets has {targets.Length} ids but inputs has {inputs.Length}");
        CheckIds(inputs, "inputs");
        CheckIds(targets, "targets");
        if (_workspace is null || _workspace.Steps != steps || _workspace.Batch != batch)
        {
            _workspace?.Dispose();
            _workspace = new Workspace(this, steps, batch);
        }
        Backend.Upload(inputs, _workspace.Inputs);
        if (!targets.IsEmpty) Backend.Upload(targets, _workspace.Targets);
        return _workspace;
    }

    private void CheckIds(ReadOnlySpan<int> ids, string name)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)VocabSize)
                throw new ArgumentException($"{name}[{i}] is {ids[i]} but ids must be in [0, {VocabSize})");
        }
    }

    /// <summary>Buffers of one chunk shape [T, B], kept while the shape repeats (every training step); one scope owns them all.</summary>
    private sealed class Workspace : IDisposable
    {
        private readonly TensorScope _owned = new();

        public Workspace(CharRnnModel model, int steps, int batch)
        {
            Steps = steps;
            Batch = batch;
            var b = model.Backend;
            var s = model.Spec;
            try
            {
                Inputs = _owned.Allocate(b, new Shape(steps, batch), DType.Int32);
                Targets = _owned.Allocate(b, new Shape(steps, batch), DType.Int32);
                Embedded = _owned.Allocate(b, new Shape(steps, batch, s.EmbeddingSize), model.DType);
                Logits = _owned.Allocate(b, new Shape(steps * batch, model.VocabSize), model.DType);
                TopGradient = _owned.Allocate(b, new Shape(steps, batch, s.HiddenSize), model.DType);
                Mask = s.Dropout > 0 ? _owned.Allocate(b, new Shape(steps, batch, s.HiddenSize), model.DType) : null;
                Loss = _owned.Own(new SoftmaxCrossEntropyLoss(b, model.DType));
            }
            catch
            {
                _owned.Dispose();
                throw;
            }
        }

        public int Steps { get; }
        public int Batch { get; }
        public Tensor Inputs { get; }
        public Tensor Targets { get; }
        public Tensor Embedded { get; }
        public Tensor Logits { get; }
        public Tensor TopGradient { get; }
        public Tensor? Mask { get; }
        public SoftmaxCrossEntropyLoss Loss { get; }

        public void Dispose() => _owned.Dispose();
    }
}
