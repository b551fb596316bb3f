using System.Globalization;
using GpuRnn.Cli.Files;

namespace GpuRnn.Cli.Commands;

/// <summary>The defaults of <c>gpurnn train</c>: sized so that a run on the built-in corpus finishes in about three minutes on two CPU cores.</summary>
public static class TrainDefaults
{
    /// <summary>The recurrent cell.</summary>
    public const string Cell = "lstm";

    /// <summary>Hidden units per layer.</summary>
    public const int Hidden = 128;

    /// <summary>Recurrent layers.</summary>
    public const int Layers = 1;

    /// <summary>Character embedding width.</summary>
    public const int Embedding = 32;

    /// <summary>Parallel streams per step.</summary>
    public const int Batch = 32;

    /// <summary>Characters per stream per step.</summary>
    public const int Seq = 64;

    /// <summary>Training steps.</summary>
    public const long Steps = 2500;

    /// <summary>Gradient-norm limit.</summary>
    public const double Clip = 5;

    /// <summary>Steps between validations (and checkpoints).</summary>
    public const int EvalEvery = 250;

    /// <summary>The peak learning rate of an optimizer when --lr is not given.</summary>
    public static double LearningRate(OptimizerKind kind) => new OptimizerConfig(kind).DefaultLearningRate;
}

/// <summary>
/// Everything <c>gpurnn train</c> will do, resolved from the command line, the defaults and, when
/// resuming, the checkpoint: a resumed run takes the checkpoint's model, optimizer and batch
/// shape, and refuses options that contradict them.
/// </summary>
/// <param name="Corpus">The text, split 90/10.</param>
/// <param name="Spec">The model.</param>
/// <param name="Optimizer">The optimizer.</param>
/// <param name="Schedule">The learning rate of every step.</param>
/// <param name="Options">Batch shape, steps, clipping, evaluation, checkpoint interval.</param>
/// <param name="CheckpointPath">Where checkpoints are written.</param>
/// <param name="RunFolder">Where the metrics and the plot are written (the checkpoint's folder).</param>
/// <param name="Resume">The checkpoint continued from, or null for a fresh run.</param>
public sealed record TrainPlan(TextCorpus Corpus, CharModelSpec Spec, OptimizerConfig Optimizer, LearningRateSchedule Schedule,
    TrainingOptions Options, string CheckpointPath, string RunFolder, TaskSnapshot? Resume)
{
    /// <summary>The <c>charlm</c> task spec of the model: the checkpoint's, or <see cref="Spec"/> over the corpus's characters.</summary>
    public TaskSpec ModelSpec => Resume?.Spec ?? CharLmTask.Spec(Spec, Corpus.Vocabulary);

    /// <summary>Resolves a request; bad values throw <see cref="CliException"/> with one line naming the option.</summary>
    public static TrainPlan Resolve(TrainRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        CheckValues(r);
        var resume = r.Resume is null ? null : Checkpoint.Load(r.Resume);
        var corpus = LoadCorpus(r, resume);
        var spec = resume is null ? NewSpec(r, corpus) : CheckSpec(r, resume);
        var optimizer = resume is null ? NewOptimizer(r) : CheckOptimizer(r, resume.Optimizer);
        int batch = r.Batch ?? resume?.Options.Batch ?? TrainDefaults.Batch, seq = r.Seq ?? resume?.Options.SequenceLength ?? TrainDefaults.Seq;
        if (resume is not null && (batch != resume.Options.Batch || seq != resume.Options.SequenceLength))
            throw Mismatch($"--batch {batch} --seq {seq}", $"batch {resume.Options.Batch}, seq {resume.Options.SequenceLength}");
        // Checks the text against one batch now, with a message naming the options to change.
        var chunks = new StreamBatcher(corpus.Train, batch, seq, $"the training text of {corpus.Name}").ChunksPerEpoch;
        var steps = ResolveSteps(r, resume, chunks);
        var schedule = ResolveSchedule(r, resume?.Schedule, optimizer.Kind, steps);
        var evalEvery = r.EvalEvery ?? resume?.Options.EvalEvery ?? TrainDefaults.EvalEvery;
        var options = new TrainingOptions(batch, seq, steps, r.Clip ?? resume?.Options.Clip ?? TrainDefaults.Clip, evalEvery,
            r.CheckpointEvery ?? resume?.Options.CheckpointEvery ?? evalEvery, 0, resume?.Options.Seed ?? r.Seed ?? 0);
        if (resume is not null && r.Seed is { } seed && seed != resume.Options.Seed)
            throw Mismatch($"--seed {seed}", $"seed {resume.Options.Seed}");
        if (resume is null) CheckSize(r, e => e.AddCharModel(spec).Add("train.hidden", spec.NumLayers, batch, spec.HiddenSize));
        var path = r.Out ?? r.Resume ?? DefaultCheckpointPath();
        var folder = PrepareFolder(path);
        return new TrainPlan(corpus, spec, optimizer, schedule, options, path, folder, resume);
    }

    /// <summary>Where a run writes when neither --out nor --resume is given: runs/&lt;time&gt;/model.safetensors.</summary>
    public static string DefaultCheckpointPath() =>
        Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture), "model.safetensors");

    /// <summary>
    /// The files a training run reads (--data, --resume) and writes (the checkpoint, written back
    /// to --resume by design, and the run folder's metrics.csv and loss.png); the checkpoint and
    /// the metrics file are locked for the run (the plot is written only from the locked metrics).
    /// </summary>
    /// <param name="r">The request.</param>
    /// <param name="checkpoint">Where the checkpoint is written.</param>
    public static CommandFiles Files(TrainRequest r, string checkpoint)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(checkpoint);
        var folder = Path.GetDirectoryName(checkpoint) is { Length: > 0 } d ? d : ".";
        var named = r.Out is not null ? "--out" : r.Resume is not null ? "--resume" : "the checkpoint";
        return new CommandFiles()
            .Input("--data", r.Data)
            .Input("--resume", r.Resume)
            .Output(named, checkpoint, replaces: "--resume", exclusive: true)
            .Output("the run's metrics file", Path.Combine(folder, "metrics.csv"), exclusive: true)
            .Output("the run's loss plot", Path.Combine(folder, "loss.png"));
    }

    internal static void CheckValues(TrainRequest r)
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
        if (!(r.Temperature > 0) || !double.IsFinite(r.Temperature))
            throw new CliException($"--temperature must be positive, got {r.Temperature.ToString(CultureInfo.InvariantCulture)}", ExitCodes.Usage);
        if (r.Steps is not null && r.Epochs is not null)
            throw new CliException("give --steps or --epochs, not both", ExitCodes.Usage);
    }

    private static TextCorpus LoadCorpus(TrainRequest r, TaskSnapshot? resume)
    {
        var characters = resume is null ? null : CharLmTask.Characters(resume.Spec);
        if (r.Data is not null) return TextCorpus.Load(r.Data, characters);
        if (resume is not null && resume.DataName != ArithmeticCorpus.Name)
            throw new CliException($"{r.Resume}: was trained on {resume.DataName}; give --data to continue training on a text file");
        return TextCorpus.FromText(ArithmeticCorpus.Generate(), ArithmeticCorpus.Name, characters);
    }

    private static CharModelSpec NewSpec(TrainRequest r, TextCorpus corpus)
    {
        var cell = Parse(() => RnnNames.ParseCell(r.Cell ?? TrainDefaults.Cell));
        var init = Parse(() => RecurrentInitializer.Parse(r.Init ?? "default"));
        var spec = new CharModelSpec(cell, corpus.Vocabulary.Count, r.Embedding ?? TrainDefaults.Embedding, r.Hidden ?? TrainDefaults.Hidden,
            r.Layers ?? TrainDefaults.Layers, r.Dropout ?? 0, RecurrentInit: init, ForgetBias: r.ForgetBias ?? false);
        if (init == RecurrentInit.Identity && cell is not (RnnCellKind.RnnRelu or RnnCellKind.RnnTanh))
            throw new CliException($"--init identity (IRNN) needs --cell rnn_relu or rnn_tanh, not {cell.ToName()}", ExitCodes.Usage);
        if (spec.ForgetBias && cell != RnnCellKind.Lstm)
            throw new CliException($"--forget-bias needs --cell lstm, not {cell.ToName()}", ExitCodes.Usage);
        return spec;
    }

    private static CharModelSpec CheckSpec(TrainRequest r, TaskSnapshot resume)
    {
        var s = CharLmTask.Architecture(resume.Spec);
        void Same<T>(string option, T? given, T saved, string what) where T : struct
        {
            if (given is { } g && !g.Equals(saved)) throw Mismatch($"{option} {Format(g)}", $"{what} {Format(saved)}");
        }
        if (r.Cell is not null && Parse(() => RnnNames.ParseCell(r.Cell)) != s.Cell) throw Mismatch($"--cell {r.Cell}", $"cell {s.Cell.ToName()}");
        Same("--hidden", r.Hidden, s.HiddenSize, "hidden size");
        Same("--layers", r.Layers, s.NumLayers, "layers");
        Same("--embedding", r.Embedding, s.EmbeddingSize, "embedding size");
        Same("--dropout", r.Dropout, s.Dropout, "dropout");
        Same("--forget-bias", r.ForgetBias, s.ForgetBias, "forget bias");
        if (r.Init is not null && Parse(() => RecurrentInitializer.Parse(r.Init)) != s.RecurrentInit) throw Mismatch($"--init {r.Init}", $"init {s.RecurrentInit.ToName()}");
        return s;
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

    private static long ResolveSteps(TrainRequest r, TaskSnapshot? resume, int chunksPerEpoch)
    {
        var steps = r.Epochs is { } epochs ? (long)epochs * chunksPerEpoch : r.Steps ?? resume?.Options.Steps ?? TrainDefaults.Steps;
        if (resume is not null && steps <= resume.Step)
            throw new CliException($"{r.Resume}: is already at step {resume.Step}; give --steps above {resume.Step} to train further", ExitCodes.Usage);
        return steps;
    }

    internal static LearningRateSchedule ResolveSchedule(TrainRequest r, LearningRateSchedule? saved, OptimizerKind kind, long steps, double? defaultRate = null)
    {
        if (saved is not null && r.LearningRate is null && r.Schedule is null && r.Warmup is null) return saved;
        var lr = r.LearningRate ?? saved?.BaseRate ?? defaultRate ?? TrainDefaults.LearningRate(kind);
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
