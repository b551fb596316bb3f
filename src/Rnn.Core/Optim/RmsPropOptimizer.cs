namespace GpuRnn.Optim;

/// <summary>torch.optim.RMSprop, not centered.</summary>
public sealed class RmsPropOptimizer : Optimizer
{
    private readonly Tensor[] _square;
    private readonly Tensor?[] _momentum;
    private readonly RmsPropSettings _settings;

    /// <summary>Creates the optimizer with zero averages.</summary>
    public RmsPropOptimizer(IReadOnlyList<Parameter> parameters, OptimizerConfig config) : base(parameters, config)
    {
        _settings = new RmsPropSettings(config.Alpha, config.Epsilon, config.EffectiveWeightDecay, config.Momentum);
        _square = new Tensor[parameters.Count];
        _momentum = new Tensor?[parameters.Count];
        for (var i = 0; i < parameters.Count; i++)
        {
            _square[i] = AddState(parameters[i], "square_avg");
            if (config.Momentum > 0) _momentum[i] = AddState(parameters[i], "momentum_buffer");
        }
    }

    /// <inheritdoc/>
    protected override void Update(int index, Parameter parameter, double learningRate) =>
        Backend.RmsPropStep(parameter.Value, parameter.Gradient, _square[index], _momentum[index], _settings, learningRate);
}
