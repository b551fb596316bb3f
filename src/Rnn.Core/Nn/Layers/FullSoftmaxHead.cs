namespace GpuRnn.Nn;

/// <summary>The usual output layer: logits = hidden W^T + b over all V outputs, then softmax cross-entropy.</summary>
public sealed class FullSoftmaxHead : Module, ISoftmaxHead
{
    private readonly SoftmaxCrossEntropyLoss _loss;

    /// <summary>Creates the layer named <paramref name="name"/>; parameters are <c>{name}.weight</c> [V, H] and <c>{name}.bias</c> [V].</summary>
    public FullSoftmaxHead(IBackend backend, int inputSize, int outputSize, DType dtype, string name, ulong seed) : base(name)
    {
        // Registered without a name of its own: the head's parameters are the linear map's, as PyTorch's nn.Linear head.
        Linear = RegisterModule("", new Linear(backend, inputSize, outputSize, dtype, seed));
        _loss = new SoftmaxCrossEntropyLoss(backend, dtype);
    }

    /// <summary>The affine map to logits (its parameters are the head's).</summary>
    public Linear Linear { get; }

    /// <inheritdoc/>
    public int InputSize => Linear.InputSize;

    /// <inheritdoc/>
    public int OutputSize => Linear.OutputSize;

    /// <inheritdoc/>
    public LossStats Loss(Tensor hidden, ReadOnlySpan<int> targets, Tensor? dHidden, int counted)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var backend = Linear.Backend;
        var n = targets.Length;
        using var logits = backend.Allocate(new Shape(n, OutputSize), hidden.DType);
        using var targetIds = targets.ToArray().ToDevice(backend, new Shape(n));
        Linear.Forward(hidden, logits);
        // The gradient overwrites the logits: (softmax - onehot) / counted.
        var stats = _loss.Compute(logits, targetIds, dHidden is null ? null : logits, counted);
        if (dHidden is not null) Linear.Backward(hidden, logits, dHidden);
        return stats;
    }

    /// <inheritdoc/>
    public double[] LogProbabilities(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var n = (int)(hidden.ElementCount / InputSize);
        using var logits = Linear.Backend.Allocate(new Shape(n, OutputSize), hidden.DType);
        Linear.Forward(hidden, logits);
        var values = HeadMath.Download(logits);
        HeadMath.LogSoftmaxRows(values, n, OutputSize);
        return values;
    }

    /// <inheritdoc/>
    protected override void DisposeCore() => _loss.Dispose();
}
