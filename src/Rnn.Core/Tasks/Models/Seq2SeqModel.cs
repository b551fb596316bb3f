namespace GpuRnn;

/// <summary>
/// Sequence to sequence (Sutskever, Vinyals and Le 2014): an encoder reads the source (reversed
/// when <see cref="TaskSpec.ReverseSource"/>), its final states (h and, for LSTM, c of every layer)
/// start a decoder that reads <c>&lt;/s&gt; y1 ... yn</c> and predicts <c>y1 ... yn &lt;/s&gt;</c>
/// (teacher forcing). Encoder and decoder have the same cell, layers and width, each its own
/// embedding; the decoder's output layer is <c>decoder.output</c> [V, H]. At inference the decoder
/// feeds back its own choices: greedily, or by beam search (<see cref="BeamSearch"/>).
/// </summary>
public sealed class Seq2SeqModel : TaskModel
{
    private readonly SoftmaxCrossEntropyLoss _loss;

    /// <summary>The id of <see cref="Vocabulary.End"/> in the target vocabulary.</summary>
    public const int EndId = 0;

    /// <summary>Creates the model for a spec of a <see cref="TaskModelFamily.Seq2Seq"/> task.</summary>
    public Seq2SeqModel(IBackend backend, TaskSpec spec, ulong seed = 0, DType dtype = DType.Float32) : base(backend, spec, dtype, seed)
    {
        if (TaskRegistry.Get(spec.Task).Family != TaskModelFamily.Seq2Seq)
            throw new ArgumentException($"a seq2seq model serves {TaskRegistry.NamesOf(TaskModelFamily.Seq2Seq)}, not {spec.Task.ToName()}");
        if (!spec.TokenInputs) throw new ArgumentException("a seq2seq model reads source tokens");
        try
        {
            Encoder = RegisterModule("encoder", new SequenceEncoder(backend, spec.Rnn, spec.InputVocabulary!.Count, dtype, CounterRng.Hash(seed, 10), spec.Dropout,
                spec.RecurrentInit, spec.ForgetBias));
            Decoder = RegisterModule("decoder", new SequenceEncoder(backend, spec.Rnn, spec.OutputSize, dtype, CounterRng.Hash(seed, 20), spec.Dropout,
                spec.RecurrentInit, spec.ForgetBias));
            // The output layer belongs to the decoder's part of the tree: decoder.output.weight.
            Output = Decoder.RegisterModule("output", new Linear(backend, spec.HiddenSize, spec.OutputSize, dtype, CounterRng.Hash(seed, 30)));
            _loss = new SoftmaxCrossEntropyLoss(backend, dtype);
        }
        catch
        {
            Dispose();
            throw;
        }
        AddStack(Encoder.Rnn);
        AddStack(Decoder.Rnn);
    }

    /// <summary>Source embedding and recurrent stack.</summary>
    public SequenceEncoder Encoder { get; }

    /// <summary>Target embedding and recurrent stack.</summary>
    public SequenceEncoder Decoder { get; }

    /// <summary>The decoder's output layer [V, H].</summary>
    public Linear Output { get; }

    /// <inheritdoc/>
    public override string Unit => "tokens";

    /// <inheritdoc/>
    public override LossStats TrainBatch(IReadOnlyList<SequenceExample> examples) => Run(examples, training: true);

    /// <inheritdoc/>
    public override LossStats EvaluateBatch(IReadOnlyList<SequenceExample> examples) => Run(examples, training: false);

    /// <summary>
    /// log p(output | source) of every example's <see cref="SequenceExample.Output"/> followed by the end token,
    /// under teacher forcing (what beam search maximises).
    /// </summary>
    public double[] SequenceLogProbabilities(IReadOnlyList<SequenceExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var result = new List<double>(examples.Count);
        foreach (var chunk in Batches(examples, 32))
        {
            var (decoderInputs, targets, decoderLengths, steps) = DecoderBatch(chunk);
            using var encoded = Encode(chunk, training: false);
            using var decoded = WithDropout(Decoder.Rnn, () => Decoder.Forward(decoderInputs, null, steps, chunk.Count, decoderLengths, encoded.Hidden, encoded.Cell));
            using var logits = Backend.Allocate(new Shape(steps * chunk.Count, Spec.OutputSize), DType);
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

    /// <summary>A decoding session for one source, with <paramref name="rows"/> hypotheses side by side (for beam search).</summary>
    public IStepDecoder Session(SequenceExample source, int rows)
    {
        ArgumentNullException.ThrowIfNull(source);
        var copies = Enumerable.Repeat(source, rows).ToArray();
        var state = new RecurrentState(Backend, Spec.Rnn, rows, DType);
        using (var encoded = Encode(copies, training: false)) state.CopyFrom(encoded.Hidden, encoded.Cell);
        return new DecoderSession(this, state);
    }

    private int[][] Greedy(IReadOnlyList<SequenceExample> chunk)
    {
        var batch = chunk.Count;
        using var state = new RecurrentState(Backend, Spec.Rnn, batch, DType);
        using (var encoded = Encode(chunk, training: false)) state.CopyFrom(encoded.Hidden, encoded.Cell);
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

    private RnnOutput Encode(IReadOnlyList<SequenceExample> examples, bool training)
    {
        ThrowIfDisposed();
        var steps = SequenceBatch.MaxLength(examples);
        var tokens = SequenceBatch.Tokens(examples, steps, Spec.ReverseSource);
        return WithDropout(Encoder.Rnn, () => Encoder.Forward(tokens, null, steps, examples.Count, SequenceBatch.Lengths(examples), training: training));
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
        var (decoderInputs, targets, decoderLengths, steps) = DecoderBatch(examples);
        var batch = examples.Count;
        // One scope owns the pass's temporaries (outputs of the stack, buffers, masks).
        using var scope = new TensorScope();
        var encoded = scope.Own(Encode(examples, training));
        var decoded = scope.Own(WithDropout(Decoder.Rnn, () => Decoder.Forward(decoderInputs, null, steps, batch, decoderLengths, encoded.Hidden, encoded.Cell, training)));
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
        // The decoder's gradient with respect to its initial state is the encoder's with respect to its final state.
        var intoEncoder = scope.Own(Decoder.Backward(dTop));
        var dEncoded = scope.Allocate(Backend, encoded.Output.Shape, DType);
        Backend.Fill(dEncoded, 0);
        Encoder.Backward(dEncoded, intoEncoder.Hidden, intoEncoder.Cell).Dispose();
        return stats;
    }

    /// <summary>Frees the loss buffer (the parameters go with the modules).</summary>
    protected override void DisposeCore() => _loss?.Dispose();

    /// <summary>The decoder stepping W hypotheses of one source, each with its own state.</summary>
    private sealed class DecoderSession(Seq2SeqModel model, RecurrentState state) : IStepDecoder
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
