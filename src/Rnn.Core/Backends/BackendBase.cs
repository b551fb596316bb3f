namespace GpuRnn;

/// <summary>
/// The base of every backend: each public <see cref="IBackend"/> operation checks its arguments
/// here, once, and then calls the protected <c>...Core</c> method a backend implements. The cpu
/// and ILGPU backends derive from it, and <see cref="Backend.Create"/> hands out only backends
/// that do, so a backend of your own (added with <see cref="Backend.RegisterProvider"/>) gets the
/// same checks and messages for free and its <c>...Core</c> methods see only valid arguments.
/// </summary>
/// <remarks>
/// A <c>...Core</c> method may rely on what <see cref="IBackend"/>'s documentation states as a
/// precondition: every tensor is this backend's and alive, floating-point operands share one
/// dtype that <see cref="IBackend.Supports"/> accepts, and the shapes agree. What only a backend
/// can know stays with it: which element types it holds, per-tensor size limits, and checks of
/// the data itself (token ids are read on the device that holds them).
/// </remarks>
public abstract class BackendBase : IBackend
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract string Description { get; }

    /// <inheritdoc/>
    public abstract bool Supports(DType dtype);

    /// <inheritdoc/>
    public abstract Tensor Allocate(Shape shape, DType dtype);

    /// <inheritdoc/>
    public abstract void Synchronize();

    /// <inheritdoc/>
    public abstract void Dispose();

    // ---------------------------------------------------------------- memory

    /// <inheritdoc/>
    public void Upload<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged
    {
        TensorChecks.Owned(destination, this, nameof(destination));
        if (source.Length != destination.ElementCount)
            throw new ArgumentException($"source has {source.Length} elements but the destination {destination.Shape} has {destination.ElementCount}");
        UploadCore(source, destination);
    }

    /// <inheritdoc/>
    public void Download<T>(Tensor source, Span<T> destination) where T : unmanaged
    {
        TensorChecks.Owned(source, this, nameof(source));
        if (destination.Length != source.ElementCount)
            throw new ArgumentException($"destination has {destination.Length} elements but the source {source.Shape} has {source.ElementCount}");
        DownloadCore(source, destination);
    }

    /// <inheritdoc/>
    public void Copy(Tensor source, Tensor destination)
    {
        TensorChecks.Owned(source, this, nameof(source));
        TensorChecks.Owned(destination, this, nameof(destination));
        TensorChecks.SameCount(source, destination, nameof(source), nameof(destination));
        TensorChecks.DType(destination, source.DType, nameof(destination));
        CopyCore(source, destination);
    }

    /// <inheritdoc/>
    public void Fill(Tensor tensor, double value)
    {
        TensorChecks.Owned(tensor, this, nameof(tensor));
        FillCore(tensor, value);
    }

    /// <summary><see cref="IBackend.Upload{T}"/> after the checks: <paramref name="destination"/> is this backend's and has as many elements as <paramref name="source"/>.</summary>
    protected abstract void UploadCore<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged;

    /// <summary><see cref="IBackend.Download{T}"/> after the checks: <paramref name="source"/> is this backend's and has as many elements as <paramref name="destination"/>.</summary>
    protected abstract void DownloadCore<T>(Tensor source, Span<T> destination) where T : unmanaged;

    /// <summary><see cref="IBackend.Copy"/> after the checks: both tensors are this backend's, of one dtype and element count.</summary>
    protected abstract void CopyCore(Tensor source, Tensor destination);

    /// <summary><see cref="IBackend.Fill"/> after the check that <paramref name="tensor"/> is this backend's.</summary>
    protected abstract void FillCore(Tensor tensor, double value);

    // ---------------------------------------------------------------- recurrent layers

    /// <inheritdoc/>
    public RnnReserve? RnnForward(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
        Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training)
    {
        RnnChecks.Forward(this, layer, weights, x, lengths, h0, c0, y, hN, cN);
        if (!RunsCellOptions) RnnCellOptions.RefuseOn(Name, layer);
        return RnnForwardCore(layer, weights, x, lengths, h0, c0, y, hN, cN, training);
    }

    /// <inheritdoc/>
    public void RnnBackward(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
        Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0, Tensor dy, Tensor? dhN, Tensor? dcN,
        Tensor? dx, Tensor? dh0, Tensor? dc0)
    {
        RnnChecks.Backward(this, layer, weights, gradients, reserve, x, lengths, h0, c0, dy, dhN, dcN, dx, dh0, dc0);
        if (!RunsCellOptions) RnnCellOptions.RefuseOn(Name, layer);
        RnnBackwardCore(layer, weights, gradients, reserve, x, lengths, h0, c0, dy, dhN, dcN, dx, dh0, dc0);
    }

    /// <summary>
    /// Whether the backend runs layers with cell options (layer norm, zoneout, cell clipping); a
    /// backend that does not refuses them with a message naming the option rather than computing
    /// something else.
    /// </summary>
    protected virtual bool RunsCellOptions => false;

    /// <summary>
    /// <see cref="IBackend.RnnForward"/> after the checks: x is [T, B, I] with T, B &gt;= 1, every
    /// state and weight has the layer's shape and x's dtype, lengths fit [B] and T, cN is given
    /// exactly for an LSTM (and, unless <see cref="RunsCellOptions"/>, the layer has no cell options).
    /// </summary>
    protected abstract RnnReserve? RnnForwardCore(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
        Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training);

    /// <summary>
    /// <see cref="IBackend.RnnBackward"/> after the checks of the forward's arguments, the
    /// gradients' shapes and that the reserve is this backend's and was made for this layer, T and B.
    /// </summary>
    protected abstract void RnnBackwardCore(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
        Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0, Tensor dy, Tensor? dhN, Tensor? dcN,
        Tensor? dx, Tensor? dh0, Tensor? dc0);

    // ---------------------------------------------------------------- dense algebra

    /// <inheritdoc/>
    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, double alpha = 1, double beta = 0)
    {
        TensorChecks.Floats(this, (a, nameof(a)), (b, nameof(b)), (c, nameof(c)));
        var (ar, ac) = a.Shape.AsMatrix();
        var (br, bc) = b.Shape.AsMatrix();
        var (cr, cc) = c.Shape.AsMatrix();
        int m = transposeA ? ac : ar, k = transposeA ? ar : ac;
        int kb = transposeB ? bc : br, n = transposeB ? br : bc;
        if (k != kb)
            throw new ArgumentException($"gemm inner dimensions differ: op(A) is [{m}, {k}] (A {a.Shape}) but op(B) is [{kb}, {n}] (B {b.Shape})");
        if (cr != m || cc != n)
            throw new ArgumentException($"gemm output C has shape {c.Shape} but [{m}, {n}] was expected");
        GemmCore(a, transposeA, b, transposeB, c, alpha, beta, m, n, k);
    }

    /// <summary>
    /// <see cref="IBackend.Gemm"/> after the checks, with op(A) [<paramref name="m"/>, <paramref name="k"/>],
    /// op(B) [<paramref name="k"/>, <paramref name="n"/>] and C [<paramref name="m"/>, <paramref name="n"/>].
    /// </summary>
    protected abstract void GemmCore(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, double alpha, double beta, int m, int n, int k);

    /// <inheritdoc/>
    public void AddBias(Tensor y, Tensor bias)
    {
        TensorChecks.Floats(this, (y, nameof(y)), (bias, nameof(bias)));
        TensorChecks.Shape(bias, new Shape(y.Shape.AsMatrix().Columns), nameof(bias));
        AddBiasCore(y, bias);
    }

    /// <summary><see cref="IBackend.AddBias"/> after the checks: bias is [F] for y [N, F].</summary>
    protected abstract void AddBiasCore(Tensor y, Tensor bias);

    /// <inheritdoc/>
    public void SumRows(Tensor x, Tensor sum, double beta = 1)
    {
        TensorChecks.Floats(this, (x, nameof(x)), (sum, nameof(sum)));
        TensorChecks.Shape(sum, new Shape(x.Shape.AsMatrix().Columns), nameof(sum));
        SumRowsCore(x, sum, beta);
    }

    /// <summary><see cref="IBackend.SumRows"/> after the checks: sum is [F] for x [N, F].</summary>
    protected abstract void SumRowsCore(Tensor x, Tensor sum, double beta);

    /// <inheritdoc/>
    public void Axpy(double alpha, Tensor x, Tensor y)
    {
        TensorChecks.Floats(this, (x, nameof(x)), (y, nameof(y)));
        TensorChecks.SameCount(x, y, nameof(x), nameof(y));
        AxpyCore(alpha, x, y);
    }

    /// <summary><see cref="IBackend.Axpy"/> after the checks: x and y have one dtype and element count.</summary>
    protected abstract void AxpyCore(double alpha, Tensor x, Tensor y);

    /// <inheritdoc/>
    public void Scale(Tensor x, double alpha)
    {
        TensorChecks.Floats(this, (x, nameof(x)));
        ScaleCore(x, alpha);
    }

    /// <summary><see cref="IBackend.Scale"/> after the check that x is a floating-point tensor of this backend.</summary>
    protected abstract void ScaleCore(Tensor x, double alpha);

    /// <inheritdoc/>
    public void Multiply(Tensor a, Tensor b, Tensor result)
    {
        TensorChecks.Floats(this, (a, nameof(a)), (b, nameof(b)), (result, nameof(result)));
        TensorChecks.SameCount(a, b, nameof(a), nameof(b));
        TensorChecks.SameCount(a, result, nameof(a), nameof(result));
        MultiplyCore(a, b, result);
    }

    /// <summary><see cref="IBackend.Multiply"/> after the checks: three tensors of one dtype and element count.</summary>
    protected abstract void MultiplyCore(Tensor a, Tensor b, Tensor result);

    /// <inheritdoc/>
    public void Transpose01(Tensor x, Tensor y)
    {
        TensorChecks.Owned(x, this, nameof(x));
        TensorChecks.Owned(y, this, nameof(y));
        TensorChecks.DType(y, x.DType, nameof(y));
        if (x.Shape.Rank != 3) throw new ArgumentException($"x has shape {x.Shape} but a rank-3 tensor [A, B, F] was expected");
        TensorChecks.Shape(y, new Shape(x.Shape[1], x.Shape[0], x.Shape[2]), nameof(y));
        Transpose01Core(x, y);
    }

    /// <summary>
    /// <see cref="IBackend.Transpose01"/> after the checks: x [A, B, F] and y [B, A, F] of one dtype.
    /// Whether x and y share storage only the backend can see; it refuses an in-place call.
    /// </summary>
    protected abstract void Transpose01Core(Tensor x, Tensor y);

    // ---------------------------------------------------------------- embedding, losses, dropout

    /// <inheritdoc/>
    public void EmbeddingForward(Tensor ids, Tensor table, Tensor output)
    {
        TensorChecks.Floats(this, (table, nameof(table)), (output, nameof(output)));
        EmbeddingShape(ids, table, output, nameof(output));
        EmbeddingForwardCore(ids, table, output);
    }

    /// <inheritdoc/>
    public void EmbeddingBackward(Tensor ids, Tensor dOutput, Tensor dTable)
    {
        TensorChecks.Floats(this, (dOutput, nameof(dOutput)), (dTable, nameof(dTable)));
        EmbeddingShape(ids, dTable, dOutput, nameof(dOutput));
        EmbeddingBackwardCore(ids, dOutput, dTable);
    }

    /// <summary>
    /// <see cref="IBackend.EmbeddingForward"/> after the shape checks: ids int32 [N], table [V, E],
    /// output N*E elements. The ids' values are the backend's to check (they live on its device):
    /// each in [0, V) or -1, else an <see cref="ArgumentException"/>.
    /// </summary>
    protected abstract void EmbeddingForwardCore(Tensor ids, Tensor table, Tensor output);

    /// <summary><see cref="IBackend.EmbeddingBackward"/> after the shape checks, as <see cref="EmbeddingForwardCore"/>.</summary>
    protected abstract void EmbeddingBackwardCore(Tensor ids, Tensor dOutput, Tensor dTable);

    private void EmbeddingShape(Tensor ids, Tensor table, Tensor rows, string rowsName)
    {
        TensorChecks.Owned(ids, this, nameof(ids));
        TensorChecks.DType(ids, DType.Int32, nameof(ids));
        if (table.Shape.Rank != 2) throw new ArgumentException($"the embedding table has shape {table.Shape} but [V, E] was expected");
        var dim = table.Shape[1];
        var n = checked((int)ids.ElementCount);
        if (rows.ElementCount != (long)n * dim)
            throw new ArgumentException($"{rowsName} has shape {rows.Shape} ({rows.ElementCount} elements) but {n} ids of width {dim} need {(long)n * dim}");
    }

    /// <inheritdoc/>
    public void SoftmaxCrossEntropy(Tensor logits, Tensor targets, Tensor? dLogits, double gradScale, Tensor stats)
    {
        TensorChecks.Floats(this, (logits, nameof(logits)), (dLogits, nameof(dLogits)), (stats, nameof(stats)));
        var (n, _) = logits.Shape.AsMatrix();
        TensorChecks.Owned(targets, this, nameof(targets));
        TensorChecks.DType(targets, DType.Int32, nameof(targets));
        if (targets.ElementCount != n)
            throw new ArgumentException($"targets has {targets.ElementCount} entries but logits {logits.Shape} has {n} rows");
        if (dLogits is not null) TensorChecks.SameCount(dLogits, logits, nameof(dLogits), nameof(logits));
        TensorChecks.Shape(stats, new Shape(3), nameof(stats));
        SoftmaxCrossEntropyCore(logits, targets, dLogits, gradScale, stats);
    }

    /// <summary>
    /// <see cref="IBackend.SoftmaxCrossEntropy"/> after the shape checks: targets int32 [N] for
    /// logits [N, V], dLogits (if any) like logits, stats [3]. The targets' values are the
    /// backend's to check, as the ids of <see cref="EmbeddingForwardCore"/>.
    /// </summary>
    protected abstract void SoftmaxCrossEntropyCore(Tensor logits, Tensor targets, Tensor? dLogits, double gradScale, Tensor stats);

    /// <inheritdoc/>
    public void Softmax(Tensor logits, Tensor probabilities, double temperature = 1)
    {
        TensorChecks.Floats(this, (logits, nameof(logits)), (probabilities, nameof(probabilities)));
        TensorChecks.SameCount(logits, probabilities, nameof(logits), nameof(probabilities));
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), $"temperature must be positive, got {temperature}");
        SoftmaxCore(logits, probabilities, temperature);
    }

    /// <summary><see cref="IBackend.Softmax"/> after the checks: one dtype and element count, temperature &gt; 0.</summary>
    protected abstract void SoftmaxCore(Tensor logits, Tensor probabilities, double temperature);

    /// <inheritdoc/>
    public void MeanSquaredError(Tensor prediction, Tensor target, Tensor? dPrediction, double gradScale, Tensor stats)
    {
        TensorChecks.Floats(this, (prediction, nameof(prediction)), (target, nameof(target)), (dPrediction, nameof(dPrediction)), (stats, nameof(stats)));
        TensorChecks.SameCount(prediction, target, nameof(prediction), nameof(target));
        if (dPrediction is not null) TensorChecks.SameCount(prediction, dPrediction, nameof(prediction), nameof(dPrediction));
        TensorChecks.Shape(stats, new Shape(1), nameof(stats));
        MeanSquaredErrorCore(prediction, target, dPrediction, gradScale, stats);
    }

    /// <summary><see cref="IBackend.MeanSquaredError"/> after the checks: equal element counts, stats [1].</summary>
    protected abstract void MeanSquaredErrorCore(Tensor prediction, Tensor target, Tensor? dPrediction, double gradScale, Tensor stats);

    /// <inheritdoc/>
    public void DropoutForward(Tensor x, Tensor y, Tensor mask, double p, ulong seed, ulong offset)
    {
        TensorChecks.Floats(this, (x, nameof(x)), (y, nameof(y)), (mask, nameof(mask)));
        TensorChecks.SameCount(x, y, nameof(x), nameof(y));
        TensorChecks.SameCount(x, mask, nameof(x), nameof(mask));
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1), got {p}");
        DropoutForwardCore(x, y, mask, p, seed, offset);
    }

    /// <summary><see cref="IBackend.DropoutForward"/> after the checks: equal element counts, p in [0, 1).</summary>
    protected abstract void DropoutForwardCore(Tensor x, Tensor y, Tensor mask, double p, ulong seed, ulong offset);

    // ---------------------------------------------------------------- optimizers

    /// <inheritdoc/>
    public double SumOfSquares(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            TensorChecks.Owned(t, this, $"tensors[{i}]");
            if (!t.DType.IsFloatingPoint())
                throw new ArgumentException($"tensors[{i}] is {t.DType.DisplayName()}, not a float tensor");
        }
        return SumOfSquaresCore(tensors);
    }

    /// <summary><see cref="IBackend.SumOfSquares"/> after the checks: every tensor is a float tensor of this backend.</summary>
    protected abstract double SumOfSquaresCore(IReadOnlyList<Tensor> tensors);

    /// <inheritdoc/>
    public void SgdStep(Tensor parameter, Tensor gradient, Tensor? velocity, SgdSettings settings, double learningRate)
    {
        CheckParameterTensors(parameter, (gradient, nameof(gradient)), (velocity, nameof(velocity)));
        if (settings.Momentum != 0 && velocity is null)
            throw new ArgumentException($"SGD with momentum {settings.Momentum} needs a velocity tensor");
        SgdStepCore(parameter, gradient, velocity, settings, learningRate);
    }

    /// <inheritdoc/>
    public void AdamStep(Tensor parameter, Tensor gradient, Tensor m, Tensor v, AdamSettings settings, double learningRate, long step)
    {
        CheckParameterTensors(parameter, (gradient, nameof(gradient)), (m, nameof(m)), (v, nameof(v)));
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"Adam's step counts from 1, got {step}");
        AdamStepCore(parameter, gradient, m, v, settings, learningRate, step);
    }

    /// <inheritdoc/>
    public void RmsPropStep(Tensor parameter, Tensor gradient, Tensor squareAverage, Tensor? momentumBuffer, RmsPropSettings settings, double learningRate)
    {
        CheckParameterTensors(parameter, (gradient, nameof(gradient)), (squareAverage, nameof(squareAverage)), (momentumBuffer, nameof(momentumBuffer)));
        if (settings.Momentum != 0 && momentumBuffer is null)
            throw new ArgumentException($"RMSprop with momentum {settings.Momentum} needs a momentum buffer");
        RmsPropStepCore(parameter, gradient, squareAverage, momentumBuffer, settings, learningRate);
    }

    /// <summary><see cref="IBackend.SgdStep"/> after the checks: every state tensor like the parameter; a velocity when there is momentum.</summary>
    protected abstract void SgdStepCore(Tensor parameter, Tensor gradient, Tensor? velocity, SgdSettings settings, double learningRate);

    /// <summary><see cref="IBackend.AdamStep"/> after the checks: every state tensor like the parameter, step &gt;= 1.</summary>
    protected abstract void AdamStepCore(Tensor parameter, Tensor gradient, Tensor m, Tensor v, AdamSettings settings, double learningRate, long step);

    /// <summary><see cref="IBackend.RmsPropStep"/> after the checks: every state tensor like the parameter; a buffer when there is momentum.</summary>
    protected abstract void RmsPropStepCore(Tensor parameter, Tensor gradient, Tensor squareAverage, Tensor? momentumBuffer, RmsPropSettings settings, double learningRate);

    /// <summary>The parameter and each state tensor given: this backend's, one float dtype, one element count.</summary>
    private void CheckParameterTensors(Tensor parameter, params ReadOnlySpan<(Tensor? Tensor, string Name)> others)
    {
        TensorChecks.Floats(this, (parameter, nameof(parameter)));
        foreach (var (t, name) in others)
        {
            if (t is null) continue;
            TensorChecks.Floats(this, (parameter, nameof(parameter)), (t, name));
            TensorChecks.SameCount(parameter, t, nameof(parameter), name);
        }
    }
}
