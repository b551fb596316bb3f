using System.Globalization;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// The defaults of <c>gpurnn train --task NAME</c>, each sized so that the built-in run takes a
/// minute or two on two CPU cores; the task-specific ones are the task's (<see cref="SequenceTask"/>).
/// </summary>
public static class TaskDefaults
{
    /// <summary>Hidden units per layer.</summary>
    public static int Hidden(TaskKind task) => TaskRegistry.Get(task).DefaultHiddenSize;

    /// <summary>Examples per step.</summary>
    public const int Batch = 32;

    /// <summary>Training steps.</summary>
    public static long Steps(TaskKind task) => TaskRegistry.Get(task).DefaultSteps;

    /// <summary>Steps between validations (and checkpoints).</summary>
    public static int EvalEvery(TaskKind task) => (int)Math.Max(50, Steps(task) / 5);

    /// <summary>Adding: T; copy: the delay.</summary>
    public static int Length(TaskKind task) => TaskRegistry.Get(task).DefaultLength;

    /// <summary>Copy: symbols to remember.</summary>
    public const int CopyCount = 5;

    /// <summary>Word model: words per training example.</summary>
    public const int Window = 35;

    /// <summary>Learning rate: SGD's and RMSprop's are the optimizer's, Adam's and AdamW's the task's.</summary>
    public static double LearningRate(TaskKind task, OptimizerKind kind) => kind switch
    {
        OptimizerKind.Sgd => 0.1,
        OptimizerKind.RmsProp => 0.001,
        _ => TaskRegistry.Get(task).DefaultLearningRate,
    };

    /// <summary>Global gradient-norm limit: the task's (1 for the adding problem), else the character model's.</summary>
    public static double Clip(TaskKind task) => TaskRegistry.Get(task).DefaultClip ?? TrainDefaults.Clip;
}

/// <summary>
/// Everything <c>gpurnn train --task NAME</c> will do, resolved from the command line, the task's
/// defaults and, when resuming, the checkpoint (whose model, vocabularies and batch win; options
/// that contradict them are refused).
/// </summary>
/// <param name="Spec">The task and model.</param>
/// <param name="Data">The training and validation examples.</param>
/// <param name="Optimizer">The optimizer.</param>
/// <param name="Schedule">The learning rate of every step.</param>
/// <param name="Options">Batch, steps, clipping, evaluation, checkpoint interval, seed.</param>
/// <param name="CheckpointPath">Where checkpoints are written.</param>
/// <param name="Resume">The checkpoint continued from, or null.</param>
public sealed record TaskPlan(TaskSpec Spec, TaskData Data, OptimizerConfig Optimizer, LearningRateSchedule Schedule,
    TrainingOptions Options, string CheckpointPath, TaskSnapshot? Resume)
{
    /// <summary>Resolves a request whose task is not charlm; bad values throw <see cref="CliException"/> naming the option.</summary>
    public static TaskPlan Resolve(TrainRequest r, TaskSnapshot? resume)
    {
        ArgumentNullException.ThrowIfNull(r);
        TrainPlan.CheckValues(r);
        if (r.Length is <= 0) throw new CliException($"--length must be positive, got {r.Length}", ExitCodes.Usage);
        if (r.CopyCount is <= 0) throw new CliException($"--copy-count must be positive, got {r.CopyCount}", ExitCodes.Usage);
        if (r.MinCount is <= 0) throw new CliException($"--min-count must be positive, got {r.MinCount}", ExitCodes.Usage);
        if (r.Classes is < 0) throw new CliException($"--classes must be zero (about sqrt(V)) or positive, got {r.Classes}", ExitCodes.Usage);
        if (r.Beam <= 0) throw new CliException($"--beam must be positive, got {r.Beam}", ExitCodes.Usage);
        var task = resume?.Spec.Task ?? TrainPlan.Parse(() => TaskNames.ParseTask(r.Task!));
        if (resume is not null && r.Task is not null && r.Task != "charlm" && TrainPlan.Parse(() => TaskNames.ParseTask(r.Task)) != task)
            throw TrainPlan.Mismatch($"--task {r.Task}", $"task {task.ToName()}");
        var kind = TaskRegistry.Get(task);
        CheckApplicable(r, kind);

        var seed = resume?.Options.Seed ?? r.Seed ?? 0;
        if (resume is not null && r.Seed is { } s && s != seed) throw TrainPlan.Mismatch($"--seed {s}", $"seed {seed}");
        var windowed = kind.Accepts(TaskOptions.Window);
        var window = r.Seq ?? (resume?.Options.SequenceLength is { } saved && windowed ? saved : TaskDefaults.Window);
        if (resume is not null && windowed && window != resume.Options.SequenceLength)
            throw TrainPlan.Mismatch($"--seq {window}", $"seq {resume.Options.SequenceLength}");
        TaskSpec spec;
        TaskData data;
        if (resume is null)
        {
            (spec, data) = TaskSetup.Create(Settings(r, kind), r.Data, seed, window);
        }
        else
        {
            spec = CheckSpec(r, resume.Spec, kind);
            var builtIn = kind.BuiltInName;
            if (r.Data is null && resume.DataName != builtIn)
                throw new CliException($"{r.Resume}: was trained on {resume.DataName}; give --data to continue training on a file");
            data = TaskSetup.Load(spec, r.Data, seed, window);
        }
        var optimizer = resume is null ? TrainPlan.NewOptimizer(r) : TrainPlan.CheckOptimizer(r, resume.Optimizer);
        var batch = r.Batch ?? resume?.Options.Batch ?? TaskDefaults.Batch;
        if (resume is not null && batch != resume.Options.Batch) throw TrainPlan.Mismatch($"--batch {batch}", $"batch {resume.Options.Batch}");
        long perEpoch;
        try { perEpoch = data.BatchesPerEpoch(batch); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        long steps;
        if (r.Epochs is { } epochs)
        {
            if (perEpoch == 0) throw new CliException($"--epochs needs data with an end; the {data.Name} is generated without end (give --steps)", ExitCodes.Usage);
            steps = epochs * perEpoch;
        }
        else steps = r.Steps ?? resume?.Options.Steps ?? TaskDefaults.Steps(task);
        if (resume is not null && steps <= resume.Step)
            throw new CliException($"{r.Resume}: is already at step {resume.Step}; give --steps above {resume.Step} to train further", ExitCodes.Usage);
        var schedule = TrainPlan.ResolveSchedule(r, resume?.Schedule, optimizer.Kind, steps, TaskDefaults.LearningRate(task, optimizer.Kind));
        var evalEvery = r.EvalEvery ?? resume?.Options.EvalEvery ?? TaskDefaults.EvalEvery(task);
        var options = new TrainingOptions(batch, windowed ? window : 1, steps, r.Clip ?? resume?.Options.Clip ?? TaskDefaults.Clip(task), evalEvery,
            r.CheckpointEvery ?? resume?.Options.CheckpointEvery ?? evalEvery, 0, seed);
        if (resume is null) TrainPlan.CheckSize(r, e => e.AddTaskModel(spec));
        var path = r.Out ?? r.Resume ?? TrainPlan.DefaultCheckpointPath();
        TrainPlan.PrepareFolder(path);
        return new TaskPlan(spec, data, optimizer, schedule, options, path, resume);
    }

    private static TaskSettings Settings(TrainRequest r, SequenceTask task)
    {
        var cell = TrainPlan.Parse(() => RnnNames.ParseCell(r.Cell ?? TrainDefaults.Cell));
        var init = TrainPlan.Parse(() => RecurrentInitializer.Parse(r.Init ?? "default"));
        if (init == RecurrentInit.Identity && cell is not (RnnCellKind.RnnRelu or RnnCellKind.RnnTanh))
            throw new CliException($"--init identity (IRNN) needs --cell rnn_relu or rnn_tanh, not {cell.ToName()}", ExitCodes.Usage);
        if (r.ForgetBias == true && cell != RnnCellKind.Lstm)
            throw new CliException($"--forget-bias needs --cell lstm, not {cell.ToName()}", ExitCodes.Usage);
        var (input, output) = Tokenization(r.Tokenize, task);
        return TrainPlan.Parse(() => new TaskSettings
        {
            Task = task.Kind,
            Cell = cell,
            HiddenSize = r.Hidden ?? task.DefaultHiddenSize,
            NumLayers = r.Layers ?? 1,
            Bidirectional = r.Bidirectional ?? task.DefaultBidirectional,
            Dropout = r.Dropout ?? 0,
            RecurrentInit = init,
            ForgetBias = r.ForgetBias ?? false,
            EmbeddingSize = r.Embedding ?? TrainDefaults.Embedding,
            Pooling = r.Pool is null ? Pooling.Last : TaskNames.ParsePooling(r.Pool),
            Softmax = r.Softmax is null ? SoftmaxKind.Class : TaskNames.ParseSoftmax(r.Softmax),
            Classes = r.Classes ?? 0,
            InputTokenization = input,
            OutputTokenization = output,
            MinCount = r.MinCount ?? 1,
            Length = r.Length ?? task.DefaultLength,
            CopyCount = r.CopyCount ?? TaskDefaults.CopyCount,
            ReverseSource = r.ReverseSource ?? true,
        }.Validate());
    }

    private static (Tokenization?, Tokenization?) Tokenization(string? text, SequenceTask task)
    {
        if (text is null) return (null, null);
        var parts = text.Split(',');
        var pair = task.Accepts(TaskOptions.TargetTokenize);
        if (parts.Length > 2 || (parts.Length == 2 && !pair))
            throw new CliException($"--tokenize takes one of char, word, space{(pair ? ", or SOURCE,TARGET such as word,char" : "")}; got '{text}'", ExitCodes.Usage);
        var input = TrainPlan.Parse(() => Tokenizer.Parse(parts[0]));
        return (input, parts.Length == 2 ? TrainPlan.Parse(() => Tokenizer.Parse(parts[1])) : input);
    }

    /// <summary>Refuses options that mean nothing for the task, naming the tasks they apply to.</summary>
    private static void CheckApplicable(TrainRequest r, SequenceTask task)
    {
        void Only(bool given, string option, TaskOptions which, string? where = null)
        {
            if (given && !task.Accepts(which))
                throw new CliException($"{option} applies to {where ?? "--task " + TaskRegistry.NamesAccepting(which)}, not to --task {task.Name}", ExitCodes.Usage);
        }
        Only(r.Bidirectional is not null, "--bidirectional", TaskOptions.Bidirectional);
        Only(r.Pool is not null, "--pool", TaskOptions.Pool);
        Only(r.Length is not null, "--length", TaskOptions.Length);
        Only(r.CopyCount is not null, "--copy-count", TaskOptions.CopyCount);
        Only(r.Tokenize is not null, "--tokenize", TaskOptions.Tokenize);
        Only(r.Softmax is not null, "--softmax", TaskOptions.Softmax);
        Only(r.Classes is not null, "--classes", TaskOptions.Softmax);
        Only(r.ReverseSource is not null, "--reverse-source", TaskOptions.ReverseSource);
        Only(r.Beam != 1, "--beam", TaskOptions.Beam);
        Only(r.Seq is not null, "--seq", TaskOptions.Window,
            $"--task charlm or {TaskRegistry.NamesAccepting(TaskOptions.Window)} (the {TaskRegistry.NamesAccepting(TaskOptions.Length).Replace(" or ", " and ", StringComparison.Ordinal)} tasks take --length)");
    }

    private static TaskSpec CheckSpec(TrainRequest r, TaskSpec s, SequenceTask task)
    {
        foreach (var (given, option) in new[] { (r.Tokenize is not null, "--tokenize"), (r.MinCount is not null, "--min-count"), (r.Classes is not null, "--classes") })
        {
            if (given) throw new CliException($"{option} shapes a new model's vocabulary; a resumed run keeps the checkpoint's (leave {option} out)", ExitCodes.Usage);
        }
        void Same<T>(string option, T? given, T saved, string what) where T : struct
        {
            if (given is { } g && !g.Equals(saved)) throw TrainPlan.Mismatch($"{option} {TrainPlan.Format(g)}", $"{what} {TrainPlan.Format(saved)}");
        }
        if (r.Cell is not null && TrainPlan.Parse(() => RnnNames.ParseCell(r.Cell)) != s.Cell) throw TrainPlan.Mismatch($"--cell {r.Cell}", $"cell {s.Cell.ToName()}");
        Same("--hidden", r.Hidden, s.HiddenSize, "hidden size");
        Same("--layers", r.Layers, s.NumLayers, "layers");
        if (s.TokenInputs) Same("--embedding", r.Embedding, s.EmbeddingSize, "embedding size");
        Same("--dropout", r.Dropout, s.Dropout, "dropout");
        Same("--bidirectional", r.Bidirectional, s.Bidirectional, "bidirectional");
        Same("--forget-bias", r.ForgetBias, s.ForgetBias, "forget bias");
        Same("--reverse-source", r.ReverseSource, s.ReverseSource, "reverse source");
        if (task.Accepts(TaskOptions.Length)) Same("--length", r.Length, s.Length, "length");
        if (task.Accepts(TaskOptions.CopyCount)) Same("--copy-count", r.CopyCount, s.CopyCount, "copy count");
        if (r.Init is not null && TrainPlan.Parse(() => RecurrentInitializer.Parse(r.Init)) != s.RecurrentInit) throw TrainPlan.Mismatch($"--init {r.Init}", $"init {s.RecurrentInit.ToName()}");
        if (r.Pool is not null && TrainPlan.Parse(() => TaskNames.ParsePooling(r.Pool)) != s.Pooling) throw TrainPlan.Mismatch($"--pool {r.Pool}", $"pooling {s.Pooling.ToName()}");
        if (r.Softmax is not null && TrainPlan.Parse(() => TaskNames.ParseSoftmax(r.Softmax)) != s.Softmax) throw TrainPlan.Mismatch($"--softmax {r.Softmax}", $"softmax {s.Softmax.ToName()}");
        return s;
    }
}
