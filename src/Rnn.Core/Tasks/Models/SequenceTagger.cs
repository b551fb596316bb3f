namespace GpuRnn.Tasks;

/// <summary>
/// Many-to-many with one prediction per input step: sequence labelling (a tag per token, usually
/// bidirectional), the copy-memory task (a symbol per step) and the word language model (the next
/// word at every step). The top layer's output at every step goes through dropout (in training)
/// and an output layer: a full softmax (<c>output.weight</c> [V, D*H]) or a class-based one.
/// Targets of -1 (padding, steps that are not scored) add nothing to the loss.
/// </summary>
public sealed class SequenceTagger : EncoderModel
{
    /// <summary>Creates the model for a spec of a <see cref="TaskModelFamily.Tagger"/> task (tag, copy, wordlm).</summary>
    public SequenceTagger(IBackend backend, TaskSpec spec, ulong seed = 0, DType dtype = DType.Float32)
        : base(backend, spec, dtype, seed, TaskModelFamily.Tagger, "sequence tagger")
    {
        try
        {
            Module head = spec.Softmax == SoftmaxKind.Class
                ? new ClassBasedSoftmax(backend, spec.Rnn.OutputSize, WordClasses.FromClassOf(spec.WordClasses!, spec.OutputSize), dtype, "output", CounterRng.Hash(seed, 4))
                : new FullSoftmaxHead(backend, spec.Rnn.OutputSize, spec.OutputSize, dtype, "output", CounterRng.Hash(seed, 4));
            Head = (ISoftmaxHead)RegisterModule("output", head);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The output layer.</summary>
    public ISoftmaxHead Head { get; }

    /// <inheritdoc/>
    public override string Unit => "tokens";

    /// <inheritdoc/>
    public override LossStats TrainBatch(IReadOnlyList<SequenceExample> examples) => Run(examples, training: true);

    /// <inheritdoc/>
    public override LossStats EvaluateBatch(IReadOnlyList<SequenceExample> examples) => Run(examples, training: false);

    /// <summary>Per example, log p(output | step) for each of its steps: [Length, V] row-major.</summary>
    public double[][] LogProbabilities(IReadOnlyList<SequenceExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var result = new List<double[]>(examples.Count);
        var v = Spec.OutputSize;
        foreach (var chunk in Batches(examples, 32))
        {
            int steps = SequenceBatch.MaxLength(chunk), batch = chunk.Count;
            using var output = Forward(chunk, steps, training: false);
            var all = Head.LogProbabilities(output.Output);
            for (var b = 0; b < batch; b++)
            {
                var rows = new double[chunk[b].Length * v];
                for (var t = 0; t < chunk[b].Length; t++) Array.Copy(all, ((long)t * batch + b) * v, rows, (long)t * v, v);
                result.Add(rows);
            }
        }
        return [.. result];
    }

    /// <summary>The most probable output at every step of every example.</summary>
    public int[][] Predict(IReadOnlyList<SequenceExample> examples)
    {
        var v = Spec.OutputSize;
        return LogProbabilities(examples).Select(rows =>
        {
            var best = new int[rows.Length / v];
            for (var t = 0; t < best.Length; t++) best[t] = HeadMath.ArgMax(rows.AsSpan(t * v, v));
            return best;
        }).ToArray();
    }

    private RnnOutput Forward(IReadOnlyList<SequenceExample> examples, int steps, bool training)
    {
        ThrowIfDisposed();
        return Encode(examples, steps, SequenceBatch.Lengths(examples), training);
    }

    private LossStats Run(IReadOnlyList<SequenceExample> examples, bool training)
    {
        var steps = SequenceBatch.MaxLength(examples);
        var targets = SequenceBatch.Targets(examples, steps);
        var counted = SoftmaxCrossEntropyLoss.CountTargets(targets);
        if (training && counted == 0) throw new ArgumentException("no step of the batch has a target");
        // One scope owns the pass's temporaries (outputs of the stack, buffers, masks).
        using var scope = new TensorScope();
        var output = scope.Own(Forward(examples, steps, training));
        var top = output.Output;
        var mask = scope.Own(DropOutputs(top, training));
        if (!training) return Head.Loss(top, targets, null, counted);
        var dTop = scope.Allocate(Backend, top.Shape, DType);
        var stats = Head.Loss(top, targets, dTop, counted);
        if (mask is not null) Dropout.Backward(dTop, mask, dTop);
        Encoder.Backward(dTop).Dispose();
        return stats;
    }
}
