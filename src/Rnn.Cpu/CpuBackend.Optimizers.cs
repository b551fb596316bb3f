namespace GpuRnn.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public double SumOfSquares(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var total = 0.0;
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = Own(tensors[i], $"tensors[{i}]");
            total += t.DType switch
            {
                DType.Float32 => Kernels.Optimizers.SumOfSquares<float>(t.Span<float>()),
                DType.Float64 => Kernels.Optimizers.SumOfSquares<double>(t.Span<double>()),
                _ => throw new ArgumentException($"tensors[{i}] is {t.DType.DisplayName()}, not a float tensor"),
            };
        }
        return total;
    }

    /// <inheritdoc/>
    public void SgdStep(Tensor parameter, Tensor gradient, Tensor? velocity, SgdSettings settings, double learningRate)
    {
        var dtype = CheckParameterTensors(parameter, (gradient, nameof(gradient)), (velocity, nameof(velocity)));
        if (settings.Momentum != 0 && velocity is null)
            throw new ArgumentException($"SGD with momentum {settings.Momentum} needs a velocity tensor");
        if (dtype == DType.Float32)
            Kernels.Optimizers.Sgd(Own(parameter, "parameter").Span<float>(), Own(gradient, "gradient").Span<float>(), OwnOptional(velocity, "velocity") is { } v ? v.Span<float>() : default, settings, learningRate);
        else
            Kernels.Optimizers.Sgd(Own(parameter, "parameter").Span<double>(), Own(gradient, "gradient").Span<double>(), OwnOptional(velocity, "velocity") is { } v ? v.Span<double>() : default, settings, learningRate);
    }

    /// <inheritdoc/>
    public void AdamStep(Tensor parameter, Tensor gradient, Tensor m, Tensor v, AdamSettings settings, double learningRate, long step)
    {
        var dtype = CheckParameterTensors(parameter, (gradient, nameof(gradient)), (m, nameof(m)), (v, nameof(v)));
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"Adam's step counts from 1, got {step}");
        if (dtype == DType.Float32)
            Kernels.Optimizers.Adam(Own(parameter, "parameter").Span<float>(), Own(gradient, "gradient").Span<float>(), Own(m, "m").Span<float>(), Own(v, "v").Span<float>(), settings, learningRate, step);
        else
            Kernels.Optimizers.Adam(Own(parameter, "parameter").Span<double>(), Own(gradient, "gradient").Span<double>(), Own(m, "m").Span<double>(), Own(v, "v").Span<double>(), settings, learningRate, step);
    }

    /// <inheritdoc/>
    public void RmsPropStep(Tensor parameter, Tensor gradient, Tensor squareAverage, Tensor? momentumBuffer, RmsPropSettings settings, double learningRate)
    {
        var dtype = CheckParameterTensors(parameter, (gradient, nameof(gradient)), (squareAverage, nameof(squareAverage)), (momentumBuffer, nameof(momentumBuffer)));
        if (settings.Momentum != 0 && momentumBuffer is null)
            throw new ArgumentException($"RMSprop with momentum {settings.Momentum} needs a momentum buffer");
        if (dtype == DType.Float32)
            Kernels.Optimizers.RmsProp(Own(parameter, "parameter").Span<float>(), Own(gradient, "gradient").Span<float>(), Own(squareAverage, "squareAverage").Span<float>(), OwnOptional(momentumBuffer, "momentumBuffer") is { } b ? b.Span<float>() : default, settings, learningRate);
        else
            Kernels.Optimizers.RmsProp(Own(parameter, "parameter").Span<double>(), Own(gradient, "gradient").Span<double>(), Own(squareAverage, "squareAverage").Span<double>(), OwnOptional(momentumBuffer, "momentumBuffer") is { } b ? b.Span<double>() : default, settings, learningRate);
    }

    private DType CheckParameterTensors(Tensor parameter, params ReadOnlySpan<(Tensor? Tensor, string Name)> others)
    {
        var dtype = TensorChecks.Floats(this, (parameter, nameof(parameter)));
        foreach (var (t, name) in others)
        {
            if (t is null) continue;
            TensorChecks.Floats(this, (parameter, nameof(parameter)), (t, name));
            TensorChecks.SameCount(parameter, t, nameof(parameter), name);
        }
        return dtype;
    }
}
