namespace GpuRnn.Optim;

/// <summary>torch.optim.Adam and AdamW.</summary>
public sealed class AdamOptimizer : Optimizer
{
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;
    private readonly AdamSettings _settings;

    /// <summary>Creates the optimizer with zero moments.</summary>
    public AdamOptimizer(IReadOnlyList<Parameter> parameters, OptimizerConfig config) : base(parameters, config)
    {
        _settings = new AdamSettings(config.Beta1, config.Beta2, config.Epsilon, config.EffectiveWeightDecay, config.Kind == OptimizerKind.AdamW);
        _m = new Tensor[parameters.Count];
        _v = new Tensor[parameters.Count];
        for (var i = 0; i < parameters.Count; i++)
        {
            _m[i] = AddState(parameters[i], "exp_avg");
            _v[i] = AddState(parameters[i], "exp_avg_sq");
        }
    }

    /// <inheritdoc/>
    protected override void Update(int index, Parameter parameter, double learningRate) =>
        Backend.AdamStep(parameter.Value, parameter.Gradient, _m[index], _v[index], _settings, learningRate, StepCount);
}
