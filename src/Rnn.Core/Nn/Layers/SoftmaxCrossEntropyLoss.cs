namespace GpuRnn.Nn;

/// <summary>
/// Mean softmax cross-entropy over rows of logits with a padding mask: rows whose target is -1
/// add nothing to the loss, the count or the gradient. Loss and gradient come from one backend
/// pass; the statistics stay on the device until read.
/// </summary>
public sealed class SoftmaxCrossEntropyLoss : IDisposable
{
    private readonly Tensor _stats;

    /// <summary>Creates the loss for logits of <paramref name="dtype"/> on <paramref name="backend"/>.</summary>
    public SoftmaxCrossEntropyLoss(IBackend backend, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Backend = backend;
        DType = dtype;
        _stats = backend.Allocate(new Shape(3), dtype);
    }

    /// <summary>The backend it computes on.</summary>
    public IBackend Backend { get; }

    /// <summary>The logits' dtype.</summary>
    public DType DType { get; }

    /// <summary>Targets that count: those that are not padding (-1).</summary>
    public static int CountTargets(ReadOnlySpan<int> targets)
    {
        var n = 0;
        foreach (var t in targets) if (t >= 0) n++;
        return n;
    }

    /// <summary>
    /// The summed loss, correct arg-max predictions and counted rows; with <paramref name="dLogits"/>,
    /// also the gradient of the mean loss over <paramref name="counted"/> rows: (softmax - onehot) / counted
    /// on counted rows, 0 on padded ones.
    /// </summary>
    /// <param name="logits">[N, V].</param>
    /// <param name="targets">[N] int32, each in [0, V) or -1 for padding.</param>
    /// <param name="dLogits">Receives the gradient [N, V] (may be <paramref name="logits"/> itself), or null.</param>
    /// <param name="counted">Rows that are not padding (<see cref="CountTargets"/>), the mean's divisor.</param>
    public LossStats Compute(Tensor logits, Tensor targets, Tensor? dLogits, int counted)
    {
        if (dLogits is not null && counted <= 0) throw new ArgumentException($"a mean over {counted} rows has no gradient; at least one target must not be padding");
        Backend.SoftmaxCrossEntropy(logits, targets, dLogits, dLogits is null ? 1 : 1.0 / counted, _stats);
        Span<double> s = stackalloc double[3];
        if (DType == DType.Float32)
        {
            Span<float> f = stackalloc float[3];
            Backend.Download<float>(_stats, f);
            for (var i = 0; i < 3; i++) s[i] = f[i];
        }
        else Backend.Download<double>(_stats, s);
        return new LossStats(s[0], s[1], (long)s[2]);
    }

    /// <summary>Frees the statistics buffer.</summary>
    public void Dispose() => _stats.Dispose();
}
