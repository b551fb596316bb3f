namespace GpuRnn.Tasks;

/// <summary>
/// Many-to-one: a sequence in, one label (softmax cross-entropy) or one value (squared error) out.
/// The recurrent stack's states are reduced to one vector per sequence (<see cref="Pooling"/>): the
/// top layer's final state at each sequence's own last step (both directions' when bidirectional),
/// or the mean of its outputs over the sequence's steps; a linear layer <c>output</c> [K, D*H]
/// maps it to K logits, or to the value.
/// </summary>
public sealed class SequenceClassifier : EncoderModel
{
    private readonly SoftmaxCrossEntropyLoss _loss;
    private readonly Tensor _squaredError;

    /// <summary>Creates the model for a spec of a <see cref="TaskModelFamily.Classifier"/> task (classify, adding).</summary>
    public SequenceClassifier(IBackend backend, TaskSpec spec, ulong seed = 0, DType dtype = DType.Float32)
        : base(backend, spec, dtype, seed, TaskModelFamily.Classifier, "sequence classifier")
    {
        try
        {
            Output = RegisterModule("output", new Linear(backend, spec.Rnn.OutputSize, spec.OutputSize, dtype, CounterRng.Hash(seed, 4)));
            _loss = new SoftmaxCrossEntropyLoss(backend, dtype);
            _squaredError = backend.Allocate(new Shape(1), dtype);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The map from the pooled vector [B, D*H] to logits or the value [B, K].</summary>
    public Linear Output { get; }

    /// <inheritdoc/>
    public override string Unit => "sequences";

    /// <summary>
    /// The tolerance within which a regression counts as right: Hochreiter and Schmidhuber's
    /// criterion for the adding problem, an absolute error below 0.04.
    /// </summary>
    public const double RegressionTolerance = 0.04;

    /// <inheritdoc/>
    public override LossStats TrainBatch(IReadOnlyList<SequenceExample> examples) => Run(examples, training: true, out _);

    /// <inheritdoc/>
    public override LossStats EvaluateBatch(IReadOnlyList<SequenceExample> examples) => Run(examples, training: false, out _);

    /// <summary>
    /// Per example, the class probabilities [K] (classification) or the predicted value [1] (regression).
    /// </summary>
    public double[][] Predict(IReadOnlyList<SequenceExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var result = new List<double[]>(examples.Count);
        foreach (var chunk in Batches(examples, 64))
        {
            Run(chunk, training: false, out var outputs, score: false);
            var k = Spec.OutputSize;
            for (var b = 0; b < chunk.Count; b++)
            {
                var row = outputs.AsSpan(b * k, k).ToArray();
                if (!Spec.IsRegression)
                {
                    TokenSampler.LogSoftmax(row, row);
                    for (var j = 0; j < k; j++) row[j] = Math.Exp(row[j]);
                }
                result.Add(row);
            }
        }
        return [.. result];
    }

    private LossStats Run(IReadOnlyList<SequenceExample> examples, bool training, out double[] outputs, bool score = true)
    {
        ThrowIfDisposed();
        int steps = SequenceBatch.MaxLength(examples), batch = examples.Count;
        var lengths = SequenceBatch.Lengths(examples);
        var spec = Spec;
        var width = spec.Rnn.OutputSize;
        // One scope owns the pass's temporaries (outputs of the stack, buffers, masks).
        using var scope = new TensorScope();
        var output = scope.Own(Encode(examples, steps, lengths, training));
        var pooled = scope.Allocate(Backend, new Shape(batch, width), DType);
        var scale = scope.Own(spec.Pooling == Pooling.Mean ? InverseLengths(lengths, width) : null);
        Pool(output, pooled, scale, steps, batch);
        var mask = scope.Own(DropOutputs(pooled, training));
        var logits = scope.Allocate(Backend, new Shape(batch, spec.OutputSize), DType);
        Output.Forward(pooled, logits);
        outputs = logits.ToFloat64Array();
        if (!score) return default;

        LossStats stats;
        if (spec.IsRegression)
        {
            var values = new double[batch];
            var correct = 0;
            for (var b = 0; b < batch; b++)
            {
                values[b] = examples[b].Value;
                if (Math.Abs(outputs[b] - values[b]) < RegressionTolerance) correct++;
            }
            var target = scope.Allocate(Backend, new Shape(batch, 1), DType);
            TensorExtensions.Upload(target, values);
            // The mean's gradient, 2 (prediction - target) / B, overwrites the predictions.
            Backend.MeanSquaredError(logits, target, training ? logits : null, 1.0 / batch, _squaredError);
            stats = new LossStats(_squaredError.ToFloat64Array()[0], correct, batch);
        }
        else
        {
            var labels = new int[batch];
            for (var b = 0; b < batch; b++)
            {
                labels[b] = examples[b].Label;
                if (labels[b] < 0 || labels[b] >= spec.OutputSize)
                    throw new ArgumentException($"example {b} has label {labels[b]} but labels must be in [0, {spec.OutputSize})");
            }
            var targets = scope.Own(labels.ToDevice(Backend, new Shape(batch)));
            stats = _loss.Compute(logits, targets, training ? logits : null, batch);
        }
        if (!training) return stats;

        var dPooled = scope.Allocate(Backend, pooled.Shape, DType);
        Output.Backward(pooled, logits, dPooled);
        if (mask is not null) Dropout.Backward(dPooled, mask, dPooled);
        var dOutput = scope.Allocate(Backend, output.Output.Shape, DType);
        var dHidden = scope.Own(spec.Pooling == Pooling.Last ? Backend.Allocate(output.Hidden.Shape, DType) : null);
        Unpool(dPooled, dOutput, dHidden, scale, steps, batch);
        Encoder.Backward(dOutput, dHidden).Dispose();
        return stats;
    }

    /// <summary>pooled [B, D*H]: the top layer's final states, or the mean of the outputs (scaled by 1 / length).</summary>
    private void Pool(RnnOutput output, Tensor pooled, Tensor? scale, int steps, int batch)
    {
        var spec = Spec.Rnn;
        int dirs = spec.Directions, width = spec.OutputSize;
        if (scale is null)
        {
            // hN's top layer is [D, B, H]; [B, D, H] is the concatenation of the directions per sequence.
            using var top = output.Hidden.Slice((spec.NumLayers - 1) * dirs, dirs);
            using var view = pooled.Reshape(new Shape(batch, dirs, spec.StateSize));
            Backend.Transpose01(top, view);
            return;
        }
        // Outputs are zero past each end, so the sum over all T steps is the sum over the sequence's own.
        using var ones = Ones(steps, 1, steps);
        using var y = output.Output.Reshape(new Shape(steps, batch * width));
        using var sum = pooled.Reshape(new Shape(1, batch * width));
        Backend.Gemm(ones, false, y, false, sum);
        Backend.Multiply(pooled, scale, pooled);
    }

    /// <summary>The gradients of the recurrent outputs [T, B, D*H] or final states [L*D, B, H] from that of the pooled vector.</summary>
    private void Unpool(Tensor dPooled, Tensor dOutput, Tensor? dHidden, Tensor? scale, int steps, int batch)
    {
        var spec = Spec.Rnn;
        int dirs = spec.Directions, width = spec.OutputSize;
        if (scale is null)
        {
            Backend.Fill(dOutput, 0);
            Backend.Fill(dHidden!, 0);
            using var top = dHidden!.Slice((spec.NumLayers - 1) * dirs, dirs);
            using var view = dPooled.Reshape(new Shape(batch, dirs, spec.StateSize));
            Backend.Transpose01(view, top);
            return;
        }
        // d y[t, b] = dPooled[b] / length_b for every t; steps past an end are ignored by the backward.
        Backend.Multiply(dPooled, scale, dPooled);
        using var ones = Ones(steps, steps, 1);
        using var row = dPooled.Reshape(new Shape(1, batch * width));
        using var dy = dOutput.Reshape(new Shape(steps, batch * width));
        Backend.Gemm(ones, false, row, false, dy);
    }

    private Tensor Ones(int count, int rows, int cols)
    {
        var ones = new double[count];
        Array.Fill(ones, 1.0);
        var t = Backend.Allocate(new Shape(rows, cols), DType);
        TensorExtensions.Upload(t, ones);
        return t;
    }

    private Tensor InverseLengths(SequenceLengths lengths, int width)
    {
        var values = new double[lengths.BatchSize * width];
        for (var b = 0; b < lengths.BatchSize; b++) Array.Fill(values, 1.0 / lengths[b], b * width, width);
        var t = Backend.Allocate(new Shape(lengths.BatchSize, width), DType);
        TensorExtensions.Upload(t, values);
        return t;
    }

    /// <summary>Frees the loss buffers (the parameters go with the modules).</summary>
    protected override void DisposeCore()
    {
        _loss?.Dispose();
        _squaredError?.Dispose();
    }
}
