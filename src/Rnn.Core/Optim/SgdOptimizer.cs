namespace GpuRnn.Optim;

/// <summary>torch.optim.SGD: p -= lr * (momentum ? v : g), v = momentum * v + g.</summary>
public sealed class SgdOptimizer : Optimizer
{
    private readonly Tensor?[] _velocity;
    private readonly SgdSettings _settings;

    /// <summary>Creates the optimizer; velocities exist only with momentum.</summary>
    public SgdOptimizer(IReadOnlyList<Parameter> parameters, OptimizerConfig config) : base(parameters, config)
    {
        _settings = new SgdSettings(config.Momentum, config.EffectiveWeightDecay, config.Nesterov);
        _velocity = new Tensor?[parameters.Count];
        if (config.Momentum > 0)
            for (var i = 0; i < parameters.Count; i++) _velocity[i] = AddState(parameters[i], "momentum_buffer");
    }

    /// <inheritdoc/>
    protected override void Update(int index, Parameter parameter, double learningRate) =>
        Backend.SgdStep(parameter.Value, parameter.Gradient, _velocity[index], _settings, learningRate);
}
