using System.Globalization;

namespace GpuRnn.Cli.Commands;

// The checks and resolution steps of a plan that do not depend on the task: option values, the
// optimizer and schedule, the output folder, the model's size, and the shared message forms.
public sealed partial record TrainPlan
{
    private static void CheckValues(TrainRequest r)
    {
        static void Positive(string name, long? v)
        {
            if (v is <= 0) throw new CliException($"{name} must be positive, got {v}", ExitCodes.Usage);
        }
        static void NotNegative(string name, double? v)
        {
            if (v is { } x && !(x >= 0)) throw new CliException($"{name} must not be negative, got {x.ToString(CultureInfo.InvariantCulture)}", ExitCodes.Usage);
        }
        Positive("--hidden", r.Hidden);
        Positive("--layers", r.Layers);
        Positive("--embedding", r.Embedding);
        Positive("--batch", r.Batch);
        Positive("--seq", r.Seq);
        Positive("--steps", r.Steps);
        Positive("--epochs", r.Epochs);
        NotNegative("--clip", r.Clip);
        NotNegative("--momentum", r.Momentum);
        NotNegative("--weight-decay", r.WeightDecay);
        NotNegative("--warmup", r.Warmup);
        NotNegative("--eval-every", r.EvalEvery);
        NotNegative("--checkpoint-every", r.CheckpointEvery);
        NotNegative("--sample-length", r.SampleLength);
        if (r.LearningRate is { } lr && !(lr > 0 && double.IsFinite(lr)))
            throw new CliException($"--lr must be positive, got {lr.ToString(CultureInfo.InvariantCulture)}", ExitCodes.Usage);
        if (r.Dropout is { } p && !(p >= 0 && p < 1))
            throw new CliException($"--dropout must be in [0, 1), got {p.ToString(CultureInfo.InvariantCulture)}", ExitCodes.Usage);
        if (r.Zoneout is { } z && !(z >= 0 && z < 1))
            throw new CliException($"--zoneout must be in [0, 1), got {z.ToString(CultureInfo.InvariantCulture)}", ExitCodes.Usage);
        if (r.ZoneoutCell is { } zc && !(zc >= 0 && zc < 1))
            throw new CliException($"--zoneout-cell must be in [0, 1), got {zc.ToString(CultureInfo.InvariantCulture)}", ExitCodes.Usage);
        if (r.CellClip is { } k && !(k > 0 && double.IsFinite(k)))
            throw new CliException($"--cell-clip must be a finite number > 0, got {k.ToString(CultureInfo.InvariantCulture)}", ExitCodes.Usage);
        if (!(r.Temperature > 0) || !double.IsFinite(r.Temperature))
            throw new CliException($"--temperature must be positive, got {r.Temperature.ToString(CultureInfo.InvariantCulture)}", ExitCodes.Usage);
        if (r.Steps is not null && r.Epochs is not null)
            throw new CliException("give --steps or --epochs, not both", ExitCodes.Usage);
        if (r.Length is <= 0) throw new CliException($"--length must be positive, got {r.Length}", ExitCodes.Usage);
        if (r.CopyCount is <= 0) throw new CliException($"--copy-count must be positive, got {r.CopyCount}", ExitCodes.Usage);
        if (r.MinCount is <= 0) throw new CliException($"--min-count must be positive, got {r.MinCount}", ExitCodes.Usage);
        if (r.Classes is < 0) throw new CliException($"--classes must be zero (about sqrt(V)) or positive, got {r.Classes}", ExitCodes.Usage);
        if (r.Beam <= 0) throw new CliException($"--beam must be positive, got {r.Beam}", ExitCodes.Usage);
    }

    internal static OptimizerConfig NewOptimizer(TrainRequest r)
    {
        var kind = Parse(() => OptimizerConfig.ParseKind(r.Optimizer ?? "adam"));
        return Parse(() => new OptimizerConfig(kind, r.Momentum ?? 0, r.WeightDecay).Validate());
    }

    internal static OptimizerConfig CheckOptimizer(TrainRequest r, OptimizerConfig o)
    {
        if (r.Optimizer is not null && Parse(() => OptimizerConfig.ParseKind(r.Optimizer)) != o.Kind)
            throw Mismatch($"--optimizer {r.Optimizer}", $"optimizer {OptimizerConfig.NameOf(o.Kind)}");
        if (r.Momentum is { } m && m != o.Momentum) throw Mismatch($"--momentum {Format(m)}", $"momentum {Format(o.Momentum)}");
        if (r.WeightDecay is { } wd && wd != o.EffectiveWeightDecay) throw Mismatch($"--weight-decay {Format(wd)}", $"weight decay {Format(o.EffectiveWeightDecay)}");
        return o;
    }

    internal static LearningRateSchedule ResolveSchedule(TrainRequest r, LearningRateSchedule? saved, OptimizerKind kind, long steps, double defaultRate)
    {
        if (saved is not null && r.LearningRate is null && r.Schedule is null && r.Warmup is null) return saved;
        var lr = r.LearningRate ?? saved?.BaseRate ?? defaultRate;
        var shape = Parse(() => r.Schedule is null ? saved?.Kind ?? ScheduleKind.Constant : LearningRateSchedule.ParseKind(r.Schedule));
        var warmup = r.Warmup ?? saved?.WarmupSteps ?? 0;
        // Step: halve four times over the run; cosine: down to a tenth of the peak at the last step.
        var schedule = new LearningRateSchedule(lr, shape, warmup, StepSize: Math.Max(1, (steps - warmup) / 4), Gamma: 0.5,
            TotalSteps: steps, MinRate: shape == ScheduleKind.Cosine ? lr / 10 : 0);
        return Parse(schedule.Validate);
    }

    internal static string PrepareFolder(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new CliException($"--out {path} is a folder; give a file path such as {Path.Combine(path, "model.safetensors")}", ExitCodes.Usage);
        var folder = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".gpurnn-write-test-{Guid.NewGuid():n}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write to the output folder '{folder}': {e.Message}");
        }
        return folder;
    }

    /// <summary>
    /// Refuses, as a usage error naming the size options given, a model whose tensors no backend can
    /// hold (sizes computed in 64 bits: <c>--hidden 1000000000</c> is not a negative dimension), before
    /// the run folder is made or anything allocated.
    /// </summary>
    internal static void CheckSize(TrainRequest r, Action<ExpectedTensors> derive)
    {
        try
        {
            derive(new ExpectedTensors());
        }
        catch (ArgumentException e)
        {
            var given = new List<string>();
            if (r.Hidden is { } h) given.Add($"--hidden {h}");
            if (r.Embedding is { } m) given.Add($"--embedding {m}");
            if (r.Layers is { } l) given.Add($"--layers {l}");
            if (r.Batch is { } b) given.Add($"--batch {b}");
            var what = given.Count == 0 ? "the default sizes" : string.Join(" with ", given);
            throw new CliException($"{what}: the model would be too large to allocate ({WithoutParameterName(e)}); choose smaller sizes", ExitCodes.Usage);
        }
    }

    private static string WithoutParameterName(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);

    internal static T Parse<T>(Func<T> parse)
    {
        try { return parse(); }
        catch (ArgumentException e) { throw new CliException(e.Message, ExitCodes.Usage); }
    }

    internal static CliException Mismatch(string given, string saved) =>
        new($"{given} does not match the checkpoint being resumed ({saved}); leave the option out to keep the checkpoint's value");

    internal static string Format<T>(T value) => value switch
    {
        double d => d.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
