using System.Globalization;
using System.Text.Json.Nodes;

namespace GpuRnn.Optim;

/// <summary>The shape of a learning-rate schedule after its warm-up.</summary>
public enum ScheduleKind
{
    /// <summary>The base rate throughout.</summary>
    Constant,

    /// <summary>The base rate times Gamma every StepSize steps (torch.optim.lr_scheduler.StepLR).</summary>
    Step,

    /// <summary>Half a cosine from the base rate down to MinRate at TotalSteps (CosineAnnealingLR without restarts).</summary>
    Cosine,
}

/// <summary>
/// The learning rate of every step: an optional linear warm-up over the first
/// <see cref="WarmupSteps"/> steps (rate * (s + 1) / W), then <see cref="Kind"/> over the steps
/// that follow, counted from the end of the warm-up. Steps count from 0.
/// </summary>
/// <param name="BaseRate">The peak learning rate.</param>
/// <param name="Kind">The schedule after warm-up.</param>
/// <param name="WarmupSteps">Steps of linear warm-up (0 = none).</param>
/// <param name="StepSize">Step schedule: steps between decays.</param>
/// <param name="Gamma">Step schedule: factor per decay.</param>
/// <param name="TotalSteps">Cosine schedule: the step at which the rate reaches <paramref name="MinRate"/>.</param>
/// <param name="MinRate">Cosine schedule: the final rate.</param>
public sealed record LearningRateSchedule(
    double BaseRate,
    ScheduleKind Kind = ScheduleKind.Constant,
    long WarmupSteps = 0,
    long StepSize = 0,
    double Gamma = 0.1,
    long TotalSteps = 0,
    double MinRate = 0)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public LearningRateSchedule Validate()
    {
        if (!(BaseRate > 0) || double.IsInfinity(BaseRate)) throw new ArgumentException($"learning rate must be positive, got {F(BaseRate)}");
        if (WarmupSteps < 0) throw new ArgumentException($"warm-up steps must not be negative, got {WarmupSteps}");
        if (Kind == ScheduleKind.Step && StepSize <= 0) throw new ArgumentException($"a step schedule needs a positive step size, got {StepSize}");
        if (Kind == ScheduleKind.Step && !(Gamma > 0)) throw new ArgumentException($"a step schedule needs a positive gamma, got {F(Gamma)}");
        if (Kind == ScheduleKind.Cosine && TotalSteps <= WarmupSteps)
            throw new ArgumentException($"a cosine schedule needs more total steps ({TotalSteps}) than warm-up steps ({WarmupSteps})");
        if (!(MinRate >= 0) || MinRate > BaseRate) throw new ArgumentException($"the minimum rate must be in [0, {F(BaseRate)}], got {F(MinRate)}");
        return this;
    }

    /// <summary>The rate for the update of step <paramref name="step"/> (0-based).</summary>
    public double RateAt(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), $"step must not be negative, got {step}");
        if (step < WarmupSteps) return BaseRate * (step + 1) / WarmupSteps;
        var s = step - WarmupSteps;
        switch (Kind)
        {
            case ScheduleKind.Step:
                return BaseRate * Math.Pow(Gamma, s / StepSize);
            case ScheduleKind.Cosine:
                var span = TotalSteps - WarmupSteps;
                if (s >= span) return MinRate;
                return MinRate + (BaseRate - MinRate) * 0.5 * (1 + Math.Cos(Math.PI * s / span));
            default:
                return BaseRate;
        }
    }

    /// <summary>The command-line name of a kind: <c>constant</c>, <c>step</c>, <c>cosine</c>.</summary>
    public static string NameOf(ScheduleKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Parses a name of <see cref="NameOf"/>.</summary>
    public static ScheduleKind ParseKind(string name) => KindNames.Parse(name);

    private static readonly NameTable<ScheduleKind> KindNames = new NameTable<ScheduleKind>("schedule")
        .Add(ScheduleKind.Constant, "constant")
        .Add(ScheduleKind.Step, "step")
        .Add(ScheduleKind.Cosine, "cosine");

    /// <summary>One line for logs.</summary>
    public override string ToString()
    {
        var s = Kind switch
        {
            ScheduleKind.Step => $"lr {F(BaseRate)}, x{F(Gamma)} every {StepSize} steps",
            ScheduleKind.Cosine => $"lr {F(BaseRate)}, cosine to {F(MinRate)} at step {TotalSteps}",
            _ => $"lr {F(BaseRate)}",
        };
        return WarmupSteps > 0 ? s + $", warm-up {WarmupSteps} steps" : s;
    }

    /// <summary>The schedule as JSON (how checkpoints store it).</summary>
    public string ToJson() => new JsonObject
    {
        ["kind"] = NameOf(Kind),
        ["lr"] = BaseRate,
        ["warmup_steps"] = WarmupSteps,
        ["step_size"] = StepSize,
        ["gamma"] = Gamma,
        ["total_steps"] = TotalSteps,
        ["min_lr"] = MinRate,
    }.ToJsonString();

    /// <summary>Reads <see cref="ToJson"/>'s form.</summary>
    public static LearningRateSchedule FromJson(string json) => JsonFields.Read(json, "the schedule", f =>
        new LearningRateSchedule(f.Get<double>("lr"), ParseKind(f.Get<string>("kind")), f.Get<long>("warmup_steps"), f.Get<long>("step_size"),
            f.Get<double>("gamma"), f.Get<long>("total_steps"), f.Get<double>("min_lr")).Validate());

    private static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
}
