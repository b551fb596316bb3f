namespace GpuRnn.Optim;

/// <summary>
/// Updates a model's parameters from their gradients, one fused backend call per parameter
/// tensor, with its state (moments, velocities) on the backend beside the parameters. State
/// tensors are named as PyTorch's optimizer state (<c>exp_avg</c>, <c>momentum_buffer</c>, ...)
/// so checkpoints can save and restore them.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly List<KeyValuePair<string, Tensor>> _state = [];

    /// <summary>Keeps the parameters to update.</summary>
    protected Optimizer(IReadOnlyList<Parameter> parameters, OptimizerConfig config)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(config);
        if (parameters.Count == 0) throw new ArgumentException("an optimizer needs at least one parameter");
        config.Validate();
        Parameters = parameters;
        Config = config.Normalized;
        Backend = parameters[0].Value.Backend;
    }

    /// <summary>The parameters it updates.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The optimizer and its hyper-parameters.</summary>
    public OptimizerConfig Config { get; }

    /// <summary>The backend of the parameters and the state.</summary>
    public IBackend Backend { get; }

    /// <summary>Updates applied so far (Adam's bias correction counts from here).</summary>
    public long StepCount { get; set; }

    /// <summary>Every state tensor as <c>{parameter name}.{buffer}</c>, in a fixed order.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> State => _state;

    /// <summary>Creates the optimizer <paramref name="config"/> names for <paramref name="parameters"/>.</summary>
    public static Optimizer Create(IReadOnlyList<Parameter> parameters, OptimizerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Kind switch
        {
            OptimizerKind.Sgd => new SgdOptimizer(parameters, config),
            OptimizerKind.RmsProp => new RmsPropOptimizer(parameters, config),
            _ => new AdamOptimizer(parameters, config),
        };
    }

    /// <summary>Applies one update to every parameter with learning rate <paramref name="learningRate"/>.</summary>
    public void Step(double learningRate)
    {
        if (!(learningRate >= 0) || double.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), $"learning rate must be finite and not negative, got {learningRate}");
        StepCount++;
        for (var i = 0; i < Parameters.Count; i++) Update(i, Parameters[i], learningRate);
    }

    /// <summary>Updates parameter <paramref name="index"/>.</summary>
    protected abstract void Update(int index, Parameter parameter, double learningRate);

    /// <summary>Allocates a zero state tensor shaped like the parameter and registers it under <c>{parameter}.{buffer}</c>.</summary>
    protected Tensor AddState(Parameter parameter, string buffer)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var t = Backend.Allocate(parameter.Value.Shape, parameter.Value.DType);
        _state.Add(new(parameter.Name + "." + buffer, t));
        return t;
    }

    /// <summary>Frees the state tensors.</summary>
    public void Dispose()
    {
        foreach (var (_, t) in _state) t.Dispose();
        _state.Clear();
        GC.SuppressFinalize(this);
    }
}
