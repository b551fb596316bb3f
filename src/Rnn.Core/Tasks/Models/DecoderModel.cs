namespace GpuRnn.Tasks;

/// <summary>
/// The decoder side shared by the task models that write a token sequence from a start state: a
/// token embedding and recurrent stack (<c>decoder.embedding</c>, <c>decoder.rnn</c>) whose initial
/// states h0 and c0 [L, B, H] come from the subclass's condition (an encoded source for
/// <see cref="Seq2SeqModel"/>, a feature vector for <see cref="CaptionModel"/>), and an output layer
/// <c>decoder.output</c> [V, H]. Training reads <c>&lt;/s&gt; y1 ... yn</c> and predicts
/// <c>y1 ... yn &lt;/s&gt;</c> (teacher forcing); inference feeds back the decoder's own choices,
/// greedily or by beam search (<see cref="BeamSearch"/>).
/// </summary>
public abstract class DecoderModel : TaskModel
{
    private readonly SoftmaxCrossEntropyLoss _loss;

    /// <summary>The id of <see cref="Vocabulary.End"/> in the target vocabulary (fed first, ends an output).</summary>
    public const int EndId = 0;

    /// <summary>Keeps the backend and the spec; the subclass registers its condition and then calls <see cref="AddDecoder"/>.</summary>
    protected DecoderModel(IBackend backend, TaskSpec spec, DType dtype, ulong seed) : base(backend, spec, dtype, seed) =>
        _loss = new SoftmaxCrossEntropyLoss(backend, dtype);

    /// <summary>Target embedding and recurrent stack.</summary>
    public SequenceEncoder Decoder { get; private set; } = null!;

    /// <summary>The decoder's output layer [V, H].</summary>
    public Linear Output { get; private set; } = null!;

    /// <summary>The decoder's recurrent stack (input E, the spec's cell, layers and width).</summary>
    protected RnnSpec DecoderRnn => Decoder.Rnn.Spec;

    /// <inheritdoc/>
    public override string Unit => "tokens";

    /// <summary>
    /// Registers the decoder (<c>decoder</c>, with its output layer <c>decoder.output</c>) after the
    /// subclass's own modules, so that the parameters keep that order.
    /// </summary>
    /// <param name="rnn">The decoder's stack; its input size is the token embedding's width E.</param>
    /// <param name="seed">Seed of the decoder's parameters.</param>
    protected void AddDecoder(RnnSpec rnn, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(rnn);
        Decoder = RegisterModule("decoder", new SequenceEncoder(Backend, rnn, Spec.OutputSize, DType, CounterRng.Hash(seed, 20), Spec.Dropout,
            Spec.RecurrentInit, Spec.ForgetBias));
        // The output layer belongs to the decoder's part of the tree: decoder.output.weight.
        Output = Decoder.RegisterModule("output", new Linear(Backend, rnn.HiddenSize, Spec.OutputSize, DType, CounterRng.Hash(seed, 30)));
        AddStack(Decoder.Rnn);
    }

    /// <summary>
    /// The decoder's initial states for <paramref name="examples"/>: h0 and (LSTM) c0 [L, B, H],
    /// owned by <paramref name="scope"/>. In training the subclass keeps what
    /// <see cref="BackwardCondition"/> needs.
    /// </summary>
    protected abstract (Tensor Hidden, Tensor? Cell) Condition(IReadOnlyList<SequenceExample> examples, bool training, TensorScope scope);

    /// <summary>Backpropagates the gradients with respect to the initial states (dh0, dc0 [L, B, H]) through the last training <see cref="Condition"/>.</summary>
    protected abstract void BackwardCondition(IReadOnlyList<SequenceExample> examples, Tensor dHidden, Tensor? dCell);

    /// <inheritdoc/>
    public override LossStats TrainBatch(IReadOnlyList<SequenceExample> examples) => Run(examples, training: true);

    /// <inheritdoc/>
    public override LossStats EvaluateBatch(IReadOnlyList<SequenceExample> examples) => Run(examples, training: false);

    /// <summary>
    /// log p(output | condition) of every example's <see cref="SequenceExample.Output"/> followed by the end token,
    /// under teacher forcing (what beam search maximises).
    /// </summary>
    public double[] SequenceLogProbabilities(IReadOnlyList<SequenceExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var result = new List<double>(examples.Count);
        foreach (var chunk in Batches(examples, 32))
        {
            var (decoderInputs, targets, decoderLengths, steps) = DecoderBatch(chunk);
            using var scope = new TensorScope();
            var (h0, c0) = Condition(chunk, training: false, scope);
            var decoded = scope.Own(WithDropout(Decoder.Rnn, () => Decoder.Forward(decoderInputs, null, steps, chunk.Count, decoderLengths, h0, c0)));
            var logits = scope.Allocate(Backend, new Shape(steps * chunk.Count, Spec.OutputSize), DType);
            Output.Forward(decoded.Output, logits);
            var values = logits.ToFloat64Array();
            var v = Spec.OutputSize;
            HeadMath.LogSoftmaxRows(values, steps * chunk.Count, v);
            for (var b = 0; b < chunk.Count; b++)
            {
                var sum = 0.0;
                for (var t = 0; t < steps; t++)
                {
                    var y = targets[t * chunk.Count + b];
                    if (y >= 0) sum += values[(t * chunk.Count + b) * v + y];
                }
                result.Add(sum);
            }
        }
        return [.. result];
    }

    /// <summary>The outputs of every example, greedy (<paramref name="beam"/> 1) or by beam search of that width.</summary>
    public int[][] Decode(IReadOnlyList<SequenceExample> examples, int beam = 1)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (beam <= 0) throw new ArgumentException($"beam width must be positive, got {beam}");
        if (beam > 1) return examples.Select(e => BeamSearch.Run(Session(e, beam), beam, Spec.MaxOutputLength, EndId)[0].Tokens).ToArray();
        var result = new List<int[]>(examples.Count);
        foreach (var chunk in Batches(examples, 64)) result.AddRange(Greedy(chunk));
        return [.. result];
    }

    /// <summary>A decoding session for one example's condition, with <paramref name="rows"/> hypotheses side by side (for beam search).</summary>
    public IStepDecoder Session(SequenceExample source, int rows)
    {
        ArgumentNullException.ThrowIfNull(source);
        ThrowIfDisposed();
        var copies = Enumerable.Repeat(source, rows).ToArray();
        var state = new RecurrentState(Backend, DecoderRnn, rows, DType);
        using (var scope = new TensorScope())
        {
            var (h0, c0) = Condition(copies, training: false, scope);
            state.CopyFrom(h0, c0);
        }
        return new DecoderSession(this, state);
    }

    private int[][] Greedy(IReadOnlyList<SequenceExample> chunk)
    {
        ThrowIfDisposed();
        var batch = chunk.Count;
        using var state = new RecurrentState(Backend, DecoderRnn, batch, DType);
        using (var scope = new TensorScope())
        {
            var (h0, c0) = Condition(chunk, training: false, scope);
            state.CopyFrom(h0, c0);
        }
        var outputs = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var done = new bool[batch];
        var inputs = new int[batch];
        Array.Fill(inputs, EndId);
        var v = Spec.OutputSize;
        for (var step = 0; step < Spec.MaxOutputLength && done.Contains(false); step++)
        {
            var logProbabilities = Step(inputs, state);
            for (var b = 0; b < batch; b++)
            {
                var next = HeadMath.ArgMax(logProbabilities.AsSpan(b * v, v));
                inputs[b] = next;
                if (done[b]) continue;
                if (next == EndId) done[b] = true;
                else outputs[b].Add(next);
            }
        }
        return outputs.Select(o => o.ToArray()).ToArray();
    }

    /// <summary>Feeds one token per row from <paramref name="state"/> (which moves on) and returns log p(next) [B, V].</summary>
    private double[] Step(int[] inputs, RecurrentState state)
    {
        using var decoded = Decoder.Forward(inputs, null, 1, inputs.Length, null, state.Hidden, state.Cell);
        using var logits = Backend.Allocate(new Shape(inputs.Length, Spec.OutputSize), DType);
        Output.Forward(decoded.Output, logits);
        state.CopyFrom(decoded.Hidden, decoded.Cell);
        var values = logits.ToFloat64Array();
        HeadMath.LogSoftmaxRows(values, inputs.Length, Spec.OutputSize);
        return values;
    }

    /// <summary>Decoder inputs <c>&lt;/s&gt; y1..yn</c> and targets <c>y1..yn &lt;/s&gt;</c>, [U, B] time-major, -1 past each end.</summary>
    private static (int[] Inputs, int[] Targets, SequenceLengths Lengths, int Steps) DecoderBatch(IReadOnlyList<SequenceExample> examples)
    {
        var batch = examples.Count;
        var lengths = new int[batch];
        for (var b = 0; b < batch; b++)
            lengths[b] = (examples[b].Output ?? throw new ArgumentException($"example {b} has no output sequence")).Length + 1;
        var steps = lengths.Max();
        var inputs = new int[steps * batch];
        var targets = new int[steps * batch];
        Array.Fill(inputs, -1);
        Array.Fill(targets, -1);
        for (var b = 0; b < batch; b++)
        {
            var y = examples[b].Output!;
            for (var t = 0; t <= y.Length; t++)
            {
                inputs[t * batch + b] = t == 0 ? EndId : y[t - 1];
                targets[t * batch + b] = t < y.Length ? y[t] : EndId;
            }
        }
        return (inputs, targets, new SequenceLengths(lengths), steps);
    }

    private LossStats Run(IReadOnlyList<SequenceExample> examples, bool training)
    {
        ThrowIfDisposed();
        var (decoderInputs, targets, decoderLengths, steps) = DecoderBatch(examples);
        var batch = examples.Count;
        // One scope owns the pass's temporaries (outputs of the stack, buffers, masks).
        using var scope = new TensorScope();
        var (h0, c0) = Condition(examples, training, scope);
        var decoded = scope.Own(WithDropout(Decoder.Rnn, () => Decoder.Forward(decoderInputs, null, steps, batch, decoderLengths, h0, c0, training)));
        var top = decoded.Output;
        var mask = scope.Own(DropOutputs(top, training));
        var logits = scope.Allocate(Backend, new Shape(steps * batch, Spec.OutputSize), DType);
        var targetIds = scope.Own(targets.ToDevice(Backend, new Shape(targets.Length)));
        Output.Forward(top, logits);
        var counted = SoftmaxCrossEntropyLoss.CountTargets(targets);
        var stats = _loss.Compute(logits, targetIds, training ? logits : null, counted);
        if (!training) return stats;
        var dTop = scope.Allocate(Backend, top.Shape, DType);
        Output.Backward(top, logits, dTop);
        if (mask is not null) Dropout.Backward(dTop, mask, dTop);
        var intoCondition = scope.Own(Decoder.Backward(dTop));
        BackwardCondition(examples, intoCondition.Hidden!, intoCondition.Cell);
        return stats;
    }

    /// <summary>Frees the loss buffer (the parameters go with the modules).</summary>
    protected override void DisposeCore() => _loss?.Dispose();

    /// <summary>The decoder stepping W hypotheses of one condition, each with its own state.</summary>
    private sealed class DecoderSession(DecoderModel model, RecurrentState state) : IStepDecoder
    {
        public int Vocabulary => model.Spec.OutputSize;

        public int Rows => state.Batch;

        public double[] Next(ReadOnlySpan<int> parents, ReadOnlySpan<int> tokens)
        {
            state.Gather(parents);
            return model.Step(tokens.ToArray(), state);
        }

        public void Dispose() => state.Dispose();
    }
}
