using System.Globalization;
using System.Text.Json.Nodes;

namespace GpuRnn.Optim;

/// <summary>The optimizers, as torch.optim names them.</summary>
public enum OptimizerKind
{
    /// <summary>torch.optim.SGD (with momentum when Momentum &gt; 0).</summary>
    Sgd,

    /// <summary>torch.optim.Adam.</summary>
    Adam,

    /// <summary>torch.optim.AdamW (decoupled weight decay).</summary>
    AdamW,

    /// <summary>torch.optim.RMSprop (not centered).</summary>
    RmsProp,
}

/// <summary>
/// Which optimizer and its hyper-parameters (not the learning rate, which a schedule gives per
/// step). Defaults are PyTorch's, except AdamW's weight decay, which is PyTorch's 0.01 only when
/// <see cref="WeightDecay"/> is left null.
/// </summary>
/// <param name="Kind">The optimizer.</param>
/// <param name="Momentum">SGD and RMSprop momentum.</param>
/// <param name="WeightDecay">Weight decay; null means the optimizer's PyTorch default (0.01 for AdamW, else 0).</param>
/// <param name="Beta1">Adam's first-moment decay.</param>
/// <param name="Beta2">Adam's second-moment decay.</param>
/// <param name="Epsilon">Adam's and RMSprop's denominator term.</param>
/// <param name="Alpha">RMSprop's smoothing constant.</param>
/// <param name="Nesterov">SGD's Nesterov momentum.</param>
public sealed record OptimizerConfig(
    OptimizerKind Kind = OptimizerKind.Adam,
    double Momentum = 0,
    double? WeightDecay = null,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Epsilon = 1e-8,
    double Alpha = 0.99,
    bool Nesterov = false)
{
    /// <summary>The weight decay in effect.</summary>
    public double EffectiveWeightDecay => WeightDecay ?? (Kind == OptimizerKind.AdamW ? 0.01 : 0);

    /// <summary>The same config with the weight decay in effect written out, so equal settings compare equal.</summary>
    public OptimizerConfig Normalized => this with { WeightDecay = EffectiveWeightDecay };

    /// <summary>The command-line name: <c>sgd</c>, <c>adam</c>, <c>adamw</c>, <c>rmsprop</c>.</summary>
    public static string NameOf(OptimizerKind kind) => KindNames.Name(kind);

    /// <summary>Parses a name of <see cref="NameOf"/>.</summary>
    public static OptimizerKind ParseKind(string name) => KindNames.Parse(name);

    private static readonly NameTable<OptimizerKind> KindNames = new NameTable<OptimizerKind>("optimizer", otherwise: OptimizerKind.RmsProp)
        .Add(OptimizerKind.Sgd, "sgd")
        .Add(OptimizerKind.Adam, "adam")
        .Add(OptimizerKind.AdamW, "adamw")
        .Add(OptimizerKind.RmsProp, "rmsprop");

    /// <summary>
    /// The learning rate used when none is given (by <c>gpurnn train</c> and the
    /// <see cref="Trainer(CharRnnModel, TextCorpus, TrainingOptions?, OptimizerConfig?, LearningRateSchedule?, ICommunicator?)"/>
    /// constructor): 0.005 for Adam and AdamW, 0.002 for RMSprop, 1 for SGD, the rates that train
    /// the character models of the README well.
    /// </summary>
    public double DefaultLearningRate => Kind switch
    {
        OptimizerKind.Sgd => 1.0,
        OptimizerKind.RmsProp => 0.002,
        _ => 0.005,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public OptimizerConfig Validate()
    {
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"momentum must be in [0, 1), got {Momentum}");
        if (!(EffectiveWeightDecay >= 0)) throw new ArgumentException($"weight decay must not be negative, got {EffectiveWeightDecay}");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentException($"beta1 must be in [0, 1), got {Beta1}");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentException($"beta2 must be in [0, 1), got {Beta2}");
        if (!(Epsilon > 0)) throw new ArgumentException($"epsilon must be positive, got {Epsilon}");
        if (!(Alpha >= 0 && Alpha < 1)) throw new ArgumentException($"alpha must be in [0, 1), got {Alpha}");
        if (Nesterov && Momentum == 0) throw new ArgumentException("Nesterov momentum needs a momentum above 0");
        return this;
    }

    /// <summary>One line for logs, e.g. <c>adam (betas 0.9, 0.999)</c>.</summary>
    public override string ToString()
    {
        static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
        var wd = EffectiveWeightDecay > 0 ? $", weight decay {F(EffectiveWeightDecay)}" : "";
        return Kind switch
        {
            OptimizerKind.Sgd => $"sgd{(Momentum > 0 ? $" (momentum {F(Momentum)}{(Nesterov ? ", nesterov" : "")}{wd})" : wd.Length > 0 ? $" ({wd[2..]})" : "")}",
            OptimizerKind.RmsProp => $"rmsprop (alpha {F(Alpha)}{(Momentum > 0 ? $", momentum {F(Momentum)}" : "")}{wd})",
            _ => $"{NameOf(Kind)} (betas {F(Beta1)}, {F(Beta2)}{wd})",
        };
    }

    /// <summary>The config as JSON (how checkpoints store it).</summary>
    public string ToJson() => new JsonObject
    {
        ["kind"] = NameOf(Kind),
        ["momentum"] = Momentum,
        ["weight_decay"] = EffectiveWeightDecay,
        ["beta1"] = Beta1,
        ["beta2"] = Beta2,
        ["eps"] = Epsilon,
        ["alpha"] = Alpha,
        ["nesterov"] = Nesterov,
    }.ToJsonString();

    /// <summary>Reads <see cref="ToJson"/>'s form.</summary>
    public static OptimizerConfig FromJson(string json) => JsonFields.Read(json, "the optimizer config", f =>
        new OptimizerConfig(ParseKind(f.Get<string>("kind")), f.Get<double>("momentum"), f.Get<double>("weight_decay"),
            f.Get<double>("beta1"), f.Get<double>("beta2"), f.Get<double>("eps"), f.Get<double>("alpha"), f.Get<bool>("nesterov")).Validate());
}
