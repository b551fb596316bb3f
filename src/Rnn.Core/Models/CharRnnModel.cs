namespace GpuRnn;

/// <summary>
/// A character-level language model: embedding, recurrent stack, dropout, linear decoder and
/// softmax cross-entropy. A <see cref="Module"/> with children <c>embedding</c> (nn.Embedding),
/// <c>rnn</c> (nn.LSTM/GRU/RNN), <c>dropout</c> and <c>decoder</c> (nn.Linear), so its parameters
/// are named as such a PyTorch module's and its state_dict loads into one. Everything lives on one backend.
/// </summary>
/// <remarks>
/// Inputs and targets are time-major [T, B] token ids. A forward continues from a
/// <see cref="RecurrentState"/> and leaves the final state in it (detached), which is how
/// truncated BPTT carries state across chunks.
/// </remarks>
public sealed class CharRnnModel : Module
{
    private Workspace? _workspace;

    /// <summary>Creates the model with fresh parameters drawn from <paramref name="seed"/>.</summary>
    /// <param name="backend">Where parameters live and compute runs.</param>
    /// <param name="spec">The architecture.</param>
    /// <param name="seed">Seed of the initial parameters and of the dropout masks.</param>
    /// <param name="dtype">Float32 (every backend) or Float64 (CPU).</param>
    public CharRnnModel(IBackend backend, CharModelSpec spec, ulong seed = 0, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Backend = backend;
        Spec = spec;
        DType = dtype;
        try
        {
            Embedding = RegisterModule("embedding", new Embedding(backend, spec.VocabSize, spec.EmbeddingSize, dtype, CounterRng.Hash(seed, 1)));
            Rnn = RegisterModule("rnn", new RnnStack(backend, spec.Rnn, dtype, CounterRng.Hash(seed, 2), spec.Dropout));
            RecurrentInitializer.Apply(Rnn, spec.RecurrentInit, spec.ForgetBias, CounterRng.Hash(seed, 3));
            OutputDropout = RegisterModule("dropout", new Dropout(spec.Dropout));
            Decoder = RegisterModule("decoder", new Linear(backend, spec.HiddenSize, spec.VocabSize, dtype, CounterRng.Hash(seed, 4)));
        }
        catch
        {
            // Frees whatever was registered before the failure.
            Dispose();
            throw;
        }
    }

    /// <summary>The backend that holds the parameters.</summary>
    public IBackend Backend { get; }

    /// <summary>The architecture.</summary>
    public CharModelSpec Spec { get; }

    /// <summary>Parameter dtype.</summary>
    public DType DType { get; }

    /// <summary>The character embedding [V, E].</summary>
    public Embedding Embedding { get; }

    /// <summary>The recurrent stack.</summary>
    public RnnStack Rnn { get; }

    /// <summary>The decoder from hidden state to logits: weight [V, H], bias [V].</summary>
    public Linear Decoder { get; }

    /// <summary>Dropout on the top layer's output before the decoder (char-rnn's placement).</summary>
    public Dropout OutputDropout { get; }

    /// <summary>
    /// Counter of the dropout generator (shared by the stack's inter-layer dropout and the output
    /// dropout); advances with every training forward and is saved in checkpoints.
    /// </summary>
    public ulong DropoutCounter
    {
        get => Rnn.DropoutCounter;
        set => Rnn.DropoutCounter = value;
    }

    /// <summary>A zero state for <paramref name="batch"/> sequences.</summary>
    public RecurrentState CreateState(int batch) => new(Backend, Spec.Rnn, batch, DType);

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
        using var lastLogits = w.Logits.Reshape(new Shape(steps, state.Batch, Spec.VocabSize)).Slice(steps - 1, 1);
        Decoder.Forward(last, lastLogits);
        state.CopyFrom(output.Hidden, output.Cell);
        return lastLogits.ToFloat64Array();
    }

    /// <inheritdoc/>
    protected override string Description => $"a character model ({Spec})";

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
            if ((uint)ids[i] >= (uint)Spec.VocabSize)
                throw new ArgumentException($"{name}[{i}] is {ids[i]} but ids must be in [0, {Spec.VocabSize})");
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
                Logits = _owned.Allocate(b, new Shape(steps * batch, s.VocabSize), model.DType);
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
