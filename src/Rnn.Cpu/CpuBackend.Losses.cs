using System.Numerics;

namespace GpuRnn.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void EmbeddingForward(Tensor ids, Tensor table, Tensor output)
    {
        var dtype = TensorChecks.Floats(this, (table, nameof(table)), (output, nameof(output)));
        var (n, vocab, dim) = EmbeddingShape(ids, table, output, nameof(output));
        var idSpan = Own(ids, nameof(ids)).Span<int>();
        CheckIds(idSpan, vocab, nameof(ids));
        if (dtype == DType.Float32) Kernels.Embedding.Forward(idSpan, Own(table, "table").Span<float>(), Own(output, "output").Span<float>(), dim);
        else Kernels.Embedding.Forward(idSpan, Own(table, "table").Span<double>(), Own(output, "output").Span<double>(), dim);
        _ = n;
    }

    /// <inheritdoc/>
    public void EmbeddingBackward(Tensor ids, Tensor dOutput, Tensor dTable)
    {
        var dtype = TensorChecks.Floats(this, (dOutput, nameof(dOutput)), (dTable, nameof(dTable)));
        var (_, vocab, dim) = EmbeddingShape(ids, dTable, dOutput, nameof(dOutput));
        var idSpan = Own(ids, nameof(ids)).Span<int>();
        CheckIds(idSpan, vocab, nameof(ids));
        if (dtype == DType.Float32) Kernels.Embedding.Backward(idSpan, Own(dOutput, "dOutput").Span<float>(), Own(dTable, "dTable").Span<float>(), dim);
        else Kernels.Embedding.Backward(idSpan, Own(dOutput, "dOutput").Span<double>(), Own(dTable, "dTable").Span<double>(), dim);
    }

    private (int N, int Vocab, int Dim) EmbeddingShape(Tensor ids, Tensor table, Tensor rows, string rowsName)
    {
        Own(ids, nameof(ids));
        TensorChecks.DType(ids, DType.Int32, nameof(ids));
        if (table.Shape.Rank != 2) throw new ArgumentException($"the embedding table has shape {table.Shape} but [V, E] was expected");
        int vocab = table.Shape[0], dim = table.Shape[1];
        var n = checked((int)ids.ElementCount);
        if (rows.ElementCount != (long)n * dim)
            throw new ArgumentException($"{rowsName} has shape {rows.Shape} ({rows.ElementCount} elements) but {n} ids of width {dim} need {(long)n * dim}");
        return (n, vocab, dim);
    }

    private static void CheckIds(ReadOnlySpan<int> ids, int vocab, string name)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] < -1 || ids[i] >= vocab)
                throw new ArgumentException($"{name}[{i}] is {ids[i]} but ids must be in [0, {vocab}) or -1 for padding");
        }
    }

    /// <inheritdoc/>
    public void SoftmaxCrossEntropy(Tensor logits, Tensor targets, Tensor? dLogits, double gradScale, Tensor stats)
    {
        var dtype = TensorChecks.Floats(this, (logits, nameof(logits)), (dLogits, nameof(dLogits)), (stats, nameof(stats)));
        var (n, v) = logits.Shape.AsMatrix();
        Own(targets, nameof(targets));
        TensorChecks.DType(targets, DType.Int32, nameof(targets));
        if (targets.ElementCount != n)
            throw new ArgumentException($"targets has {targets.ElementCount} entries but logits {logits.Shape} has {n} rows");
        if (dLogits is not null) TensorChecks.SameCount(dLogits, logits, nameof(dLogits), nameof(logits));
        TensorChecks.Shape(stats, new Shape(3), nameof(stats));
        var t = Own(targets, nameof(targets)).Span<int>();
        CheckIds(t, v, nameof(targets));
        if (dtype == DType.Float32)
            Kernels.SoftmaxCrossEntropy.Run(Own(logits, "logits").Span<float>(), t, OwnOptional(dLogits, "dLogits") is { } d ? d.Span<float>() : default, dLogits is not null, (float)gradScale, Own(stats, "stats").Span<float>(), n, v);
        else
            Kernels.SoftmaxCrossEntropy.Run(Own(logits, "logits").Span<double>(), t, OwnOptional(dLogits, "dLogits") is { } d ? d.Span<double>() : default, dLogits is not null, gradScale, Own(stats, "stats").Span<double>(), n, v);
    }

    /// <inheritdoc/>
    public void Softmax(Tensor logits, Tensor probabilities, double temperature = 1)
    {
        var dtype = TensorChecks.Floats(this, (logits, nameof(logits)), (probabilities, nameof(probabilities)));
        TensorChecks.SameCount(logits, probabilities, nameof(logits), nameof(probabilities));
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), $"temperature must be positive, got {temperature}");
        var (n, v) = logits.Shape.AsMatrix();
        if (dtype == DType.Float32) Kernels.SoftmaxCrossEntropy.Softmax(Own(logits, "logits").Span<float>(), Own(probabilities, "probabilities").Span<float>(), n, v, (float)temperature);
        else Kernels.SoftmaxCrossEntropy.Softmax(Own(logits, "logits").Span<double>(), Own(probabilities, "probabilities").Span<double>(), n, v, temperature);
    }

    /// <inheritdoc/>
    public void MeanSquaredError(Tensor prediction, Tensor target, Tensor? dPrediction, double gradScale, Tensor stats)
    {
        var dtype = TensorChecks.Floats(this, (prediction, nameof(prediction)), (target, nameof(target)), (dPrediction, nameof(dPrediction)), (stats, nameof(stats)));
        TensorChecks.SameCount(prediction, target, nameof(prediction), nameof(target));
        if (dPrediction is not null) TensorChecks.SameCount(prediction, dPrediction, nameof(prediction), nameof(dPrediction));
        TensorChecks.Shape(stats, new Shape(1), nameof(stats));
        if (dtype == DType.Float32)
            SquaredError(Own(prediction, "prediction").Span<float>(), Own(target, "target").Span<float>(), OwnOptional(dPrediction, "dPrediction") is { } d ? d.Span<float>() : default, dPrediction is not null, (float)gradScale, Own(stats, "stats").Span<float>());
        else
            SquaredError(Own(prediction, "prediction").Span<double>(), Own(target, "target").Span<double>(), OwnOptional(dPrediction, "dPrediction") is { } d ? d.Span<double>() : default, dPrediction is not null, gradScale, Own(stats, "stats").Span<double>());
    }

    private static void SquaredError<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> y, Span<T> dp, bool withGrad, T scale, Span<T> stats)
        where T : unmanaged, INumber<T>
    {
        var sum = T.Zero;
        var two = T.One + T.One;
        for (var i = 0; i < p.Length; i++)
        {
            var e = p[i] - y[i];
            sum += e * e;
            if (withGrad) dp[i] = two * e * scale;
        }
        stats[0] = sum;
    }

    /// <inheritdoc/>
    public void DropoutForward(Tensor x, Tensor y, Tensor mask, double p, ulong seed, ulong offset)
    {
        var dtype = TensorChecks.Floats(this, (x, nameof(x)), (y, nameof(y)), (mask, nameof(mask)));
        TensorChecks.SameCount(x, y, nameof(x), nameof(y));
        TensorChecks.SameCount(x, mask, nameof(x), nameof(mask));
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1), got {p}");
        if (dtype == DType.Float32) Dropout(Own(x, "x").Span<float>(), Own(y, "y").Span<float>(), Own(mask, "mask").Span<float>(), (float)p, seed, offset);
        else Dropout(Own(x, "x").Span<double>(), Own(y, "y").Span<double>(), Own(mask, "mask").Span<double>(), p, seed, offset);
    }

    private static void Dropout<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, T p, ulong seed, ulong offset)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var keep = T.One / (T.One - p);
        for (var i = 0; i < x.Length; i++)
        {
            // The comparison is made in float32 on every backend so masks agree bit for bit.
            var m = CounterRng.Uniform(seed, offset + (ulong)i) >= float.CreateTruncating(p) ? keep : T.Zero;
            mask[i] = m;
            y[i] = x[i] * m;
        }
    }
}
