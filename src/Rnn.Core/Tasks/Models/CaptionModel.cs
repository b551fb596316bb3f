namespace GpuRnn.Tasks;

/// <summary>
/// One-to-many captioning (after Vinyals et al. 2015, "Show and Tell"): a feature vector f [F] (as a
/// CNN would give for an image) conditions a token decoder. Of Show and Tell's two ways of
/// conditioning, this model takes the initial state, not the first input: a linear layer maps f
/// to the decoder's h0 [L, B, H] (<c>init_hidden</c>, weight [L*H, F], layer l's units at rows
/// l*H..(l+1)*H-1) and, for an LSTM, another to c0 (<c>init_cell</c>); the decoder then reads
/// <c>&lt;/s&gt; y1 ... yn</c> and predicts <c>y1 ... yn &lt;/s&gt;</c> (teacher forcing), and
/// generates greedily or by beam search. The decoder side is <see cref="DecoderModel"/>'s, the one
/// of <see cref="Seq2SeqModel"/>: <c>decoder.embedding</c> [V, E], <c>decoder.rnn</c>, <c>decoder.output</c> [V, H].
/// Each example's <see cref="SequenceExample.Features"/> is its vector [F] (one step).
/// </summary>
public sealed class CaptionModel : DecoderModel
{
    // The vectors of the last training forward [B, F], which the backward of the initial-state layers needs.
    private Tensor? _features;

    /// <summary>Creates the model for a spec of a <see cref="TaskModelFamily.Caption"/> task.</summary>
    public CaptionModel(IBackend backend, TaskSpec spec, ulong seed = 0, DType dtype = DType.Float32) : base(backend, spec, dtype, seed)
    {
        if (TaskRegistry.Get(spec.Task).Family != TaskModelFamily.Caption)
            throw new ArgumentException($"a caption model serves {TaskRegistry.NamesOf(TaskModelFamily.Caption)}, not {spec.Task.ToName()}");
        if (spec.TokenInputs || spec.FeatureSize <= 0) throw new ArgumentException("a caption model reads a feature vector (a feature size, no input vocabulary)");
        if (spec.EmbeddingSize <= 0) throw new ArgumentException($"a caption model's decoder needs a positive embedding size, got {spec.EmbeddingSize}");
        try
        {
            var rnn = DecoderSpec(spec);
            var width = rnn.NumLayers * rnn.HiddenSize;
            InitHidden = RegisterModule("init_hidden", new Linear(backend, spec.FeatureSize, width, dtype, CounterRng.Hash(seed, 40)));
            if (rnn.Cell == RnnCellKind.Lstm) InitCell = RegisterModule("init_cell", new Linear(backend, spec.FeatureSize, width, dtype, CounterRng.Hash(seed, 41)));
            AddDecoder(rnn, seed);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The decoder's stack of a caption spec: the spec's cell, layers and width over token vectors of <see cref="TaskSpec.EmbeddingSize"/>.</summary>
    public static RnnSpec DecoderSpec(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.WithCellOptions(new RnnSpec(spec.Cell, spec.EmbeddingSize, spec.HiddenSize, spec.NumLayers, GruVariant: spec.GruVariant));
    }

    /// <summary>f to h0: weight [L*H, F], bias [L*H].</summary>
    public Linear InitHidden { get; }

    /// <summary>f to c0 (LSTM only): weight [L*H, F], bias [L*H]; null for other cells.</summary>
    public Linear? InitCell { get; }

    /// <summary>h0 = W_h f + b_h and c0 = W_c f + b_c, [L, B, H].</summary>
    protected override (Tensor Hidden, Tensor? Cell) Condition(IReadOnlyList<SequenceExample> examples, bool training, TensorScope scope)
    {
        ReleaseFeatures();
        var x = Features(examples);
        if (training) _features = x;
        else scope.Own(x);
        var hidden = State(InitHidden, x, scope);
        var cell = InitCell is null ? null : State(InitCell, x, scope);
        return (hidden, cell);
    }

    /// <inheritdoc/>
    protected override void BackwardCondition(IReadOnlyList<SequenceExample> examples, Tensor dHidden, Tensor? dCell)
    {
        var x = _features ?? throw new InvalidOperationException("a caption model's backward needs a training forward first");
        try
        {
            BackwardState(InitHidden, x, dHidden);
            if (InitCell is not null) BackwardState(InitCell, x, dCell ?? throw new InvalidOperationException("an LSTM decoder returned no dc0"));
        }
        finally
        {
            ReleaseFeatures();
        }
    }

    /// <summary>Frees the kept vectors and the loss buffer.</summary>
    protected override void DisposeCore()
    {
        ReleaseFeatures();
        base.DisposeCore();
    }

    /// <summary>The vectors of a batch [B, F] on the backend.</summary>
    private Tensor Features(IReadOnlyList<SequenceExample> examples)
    {
        var f = Spec.FeatureSize;
        var host = new double[examples.Count * f];
        for (var b = 0; b < examples.Count; b++)
        {
            var v = examples[b].Features ?? throw new ArgumentException($"example {b} has no feature vector");
            if (v.Length != f) throw new ArgumentException($"example {b} has {v.Length} features but the model reads {f}");
            Array.Copy(v, 0, host, b * f, f);
        }
        var x = Backend.Allocate(new Shape(examples.Count, f), DType);
        TensorExtensions.Upload(x, host);
        return x;
    }

    /// <summary>One initial state [L, B, H] from <paramref name="layer"/>'s [B, L*H] output.</summary>
    private Tensor State(Linear layer, Tensor x, TensorScope scope)
    {
        var batch = x.Shape[0];
        var rnn = DecoderRnn;
        using var y = layer.Forward(x);
        var state = scope.Allocate(Backend, new Shape(rnn.NumLayers, batch, rnn.HiddenSize), DType);
        using var rows = y.Reshape(new Shape(batch, rnn.NumLayers, rnn.HiddenSize));
        Backend.Transpose01(rows, state);
        return state;
    }

    /// <summary>Accumulates <paramref name="layer"/>'s gradients from that of its state [L, B, H].</summary>
    private void BackwardState(Linear layer, Tensor x, Tensor dState)
    {
        var batch = x.Shape[0];
        var rnn = DecoderRnn;
        using var dy = Backend.Allocate(new Shape(batch, rnn.NumLayers, rnn.HiddenSize), DType);
        Backend.Transpose01(dState, dy);
        using var dRows = dy.Reshape(new Shape(batch, rnn.NumLayers * rnn.HiddenSize));
        layer.Backward(x, dRows, null);
    }

    private void ReleaseFeatures()
    {
        _features?.Dispose();
        _features = null;
    }
}
