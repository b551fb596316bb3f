namespace GpuRnn.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    protected override double SumOfSquaresCore(IReadOnlyList<Tensor> tensors)
    {
        var total = 0.0;
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = Own(tensors[i], $"tensors[{i}]");
            total += t.DType switch
            {
                DType.Float32 => Kernels.Optimizers.SumOfSquares<float>(t.Span<float>()),
                _ => Kernels.Optimizers.SumOfSquares<double>(t.Span<double>()),
            };
        }
        return total;
    }

    /// <inheritdoc/>
    protected override void SgdStepCore(Tensor parameter, Tensor gradient, Tensor? velocity, SgdSettings settings, double learningRate)
    {
        if (parameter.DType == DType.Float32)
            Kernels.Optimizers.Sgd(Own(parameter, "parameter").Span<float>(), Own(gradient, "gradient").Span<float>(), OwnOptional(velocity, "velocity") is { } v ? v.Span<float>() : default, settings, learningRate);
        else
            Kernels.Optimizers.Sgd(Own(parameter, "parameter").Span<double>(), Own(gradient, "gradient").Span<double>(), OwnOptional(velocity, "velocity") is { } v ? v.Span<double>() : default, settings, learningRate);
    }

    /// <inheritdoc/>
    protected override void AdamStepCore(Tensor parameter, Tensor gradient, Tensor m, Tensor v, AdamSettings settings, double learningRate, long step)
    {
        if (parameter.DType == DType.Float32)
            Kernels.Optimizers.Adam(Own(parameter, "parameter").Span<float>(), Own(gradient, "gradient").Span<float>(), Own(m, "m").Span<float>(), Own(v, "v").Span<float>(), settings, learningRate, step);
        else
            Kernels.Optimizers.Adam(Own(parameter, "parameter").Span<double>(), Own(gradient, "gradient").Span<double>(), Own(m, "m").Span<double>(), Own(v, "v").Span<double>(), settings, learningRate, step);
    }

    /// <inheritdoc/>
    protected override void RmsPropStepCore(Tensor parameter, Tensor gradient, Tensor squareAverage, Tensor? momentumBuffer, RmsPropSettings settings, double learningRate)
    {
        if (parameter.DType == DType.Float32)
            Kernels.Optimizers.RmsProp(Own(parameter, "parameter").Span<float>(), Own(gradient, "gradient").Span<float>(), Own(squareAverage, "squareAverage").Span<float>(), OwnOptional(momentumBuffer, "momentumBuffer") is { } b ? b.Span<float>() : default, settings, learningRate);
        else
            Kernels.Optimizers.RmsProp(Own(parameter, "parameter").Span<double>(), Own(gradient, "gradient").Span<double>(), Own(squareAverage, "squareAverage").Span<double>(), OwnOptional(momentumBuffer, "momentumBuffer") is { } b ? b.Span<double>() : default, settings, learningRate);
    }
}
