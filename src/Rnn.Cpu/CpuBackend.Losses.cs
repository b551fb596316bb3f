using System.Numerics;

namespace GpuRnn.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    protected override void EmbeddingForwardCore(Tensor ids, Tensor table, Tensor output)
    {
        int vocab = table.Shape[0], dim = table.Shape[1];
        var idSpan = CheckedIds(ids, vocab);
        if (table.DType == DType.Float32) Kernels.Embedding.Forward(idSpan, Own(table, "table").Span<float>(), Own(output, "output").Span<float>(), dim);
        else Kernels.Embedding.Forward(idSpan, Own(table, "table").Span<double>(), Own(output, "output").Span<double>(), dim);
    }

    /// <inheritdoc/>
    protected override void EmbeddingBackwardCore(Tensor ids, Tensor dOutput, Tensor dTable)
    {
        int vocab = dTable.Shape[0], dim = dTable.Shape[1];
        var idSpan = CheckedIds(ids, vocab);
        if (dTable.DType == DType.Float32) Kernels.Embedding.Backward(idSpan, Own(dOutput, "dOutput").Span<float>(), Own(dTable, "dTable").Span<float>(), dim);
        else Kernels.Embedding.Backward(idSpan, Own(dOutput, "dOutput").Span<double>(), Own(dTable, "dTable").Span<double>(), dim);
    }

    /// <summary>The embedding's ids, each checked to be in [0, vocab) or -1.</summary>
    private Span<int> CheckedIds(Tensor ids, int vocab)
    {
        var span = Own(ids, nameof(ids)).Span<int>();
        CheckIds(span, vocab, nameof(ids));
        return span;
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
    protected override void SoftmaxCrossEntropyCore(Tensor logits, Tensor targets, Tensor? dLogits, double gradScale, Tensor stats)
    {
        var (n, v) = logits.Shape.AsMatrix();
        var t = Own(targets, nameof(targets)).Span<int>();
        CheckIds(t, v, nameof(targets));
        if (logits.DType == DType.Float32)
            Kernels.SoftmaxCrossEntropy.Run(Own(logits, "logits").Span<float>(), t, OwnOptional(dLogits, "dLogits") is { } d ? d.Span<float>() : default, dLogits is not null, (float)gradScale, Own(stats, "stats").Span<float>(), n, v);
        else
            Kernels.SoftmaxCrossEntropy.Run(Own(logits, "logits").Span<double>(), t, OwnOptional(dLogits, "dLogits") is { } d ? d.Span<double>() : default, dLogits is not null, gradScale, Own(stats, "stats").Span<double>(), n, v);
    }

    /// <inheritdoc/>
    protected override void SoftmaxCore(Tensor logits, Tensor probabilities, double temperature)
    {
        var (n, v) = logits.Shape.AsMatrix();
        if (logits.DType == DType.Float32) Kernels.SoftmaxCrossEntropy.Softmax(Own(logits, "logits").Span<float>(), Own(probabilities, "probabilities").Span<float>(), n, v, (float)temperature);
        else Kernels.SoftmaxCrossEntropy.Softmax(Own(logits, "logits").Span<double>(), Own(probabilities, "probabilities").Span<double>(), n, v, temperature);
    }

    /// <inheritdoc/>
    protected override void MeanSquaredErrorCore(Tensor prediction, Tensor target, Tensor? dPrediction, double gradScale, Tensor stats)
    {
        if (prediction.DType == DType.Float32)
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
    protected override void DropoutForwardCore(Tensor x, Tensor y, Tensor mask, double p, ulong seed, ulong offset)
    {
        if (x.DType == DType.Float32) Dropout(Own(x, "x").Span<float>(), Own(y, "y").Span<float>(), Own(mask, "mask").Span<float>(), (float)p, seed, offset);
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
