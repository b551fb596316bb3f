namespace GpuRnn.Cli.Commands;

// The task's part of a plan: a new model's settings from the options, the options that apply to
// the task, and a resumed model's spec checked against the options given.
public sealed partial record TrainPlan
{
    /// <summary>
    /// The task of a run: --task (default: the character model); when resuming, the checkpoint's, and a
    /// --task that names another is refused.
    /// </summary>
    private static SequenceTask ResolveTask(TrainRequest r, TaskSnapshot? resume)
    {
        var given = r.Task is null ? null : Parse(() => TaskRegistry.Get(r.Task));
        if (resume is null) return given ?? TaskRegistry.Default;
        var saved = TaskRegistry.Get(resume.Spec.Task);
        if (given is null || given == saved) return saved;
        var standard = TaskRegistry.Default;
        if (given == standard)
            throw new CliException($"{r.Resume}: is a checkpoint of --task {saved.Name}, not of the character model (leave --task out)");
        if (saved == standard)
            throw new CliException($"{r.Resume}: is a checkpoint of the character model ({standard.Name}), not of --task {r.Task} (leave --task out to continue it)");
        throw Mismatch($"--task {r.Task}", $"task {saved.Name}");
    }

    private static TaskSettings Settings(TrainRequest r, SequenceTask task)
    {
        var cell = Parse(() => RnnNames.ParseCell(r.Cell ?? TrainDefaults.Cell));
        var init = Parse(() => RecurrentInitializer.Parse(r.Init ?? "default"));
        if (init == RecurrentInit.Identity && cell is not (RnnCellKind.RnnRelu or RnnCellKind.RnnTanh))
            throw new CliException($"--init identity (IRNN) needs --cell rnn_relu or rnn_tanh, not {cell.ToName()}", ExitCodes.Usage);
        if (r.ForgetBias == true && cell != RnnCellKind.Lstm)
            throw new CliException($"--forget-bias needs --cell lstm, not {cell.ToName()}", ExitCodes.Usage);
        CheckCellOptions(r, cell);
        var (input, output) = Tokenization(r.Tokenize, task);
        return Parse(() => new TaskSettings
        {
            Task = task.Kind,
            Cell = cell,
            HiddenSize = r.Hidden ?? task.DefaultHiddenSize,
            NumLayers = r.Layers ?? 1,
            Bidirectional = r.Bidirectional ?? task.DefaultBidirectional,
            Dropout = r.Dropout ?? 0,
            RecurrentInit = init,
            ForgetBias = r.ForgetBias ?? false,
            LayerNorm = r.LayerNorm ?? false,
            Zoneout = r.Zoneout ?? 0,
            ZoneoutCell = r.ZoneoutCell ?? 0,
            CellClip = r.CellClip ?? 0,
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

    /// <summary>Refuses a cell option the cell does not have: layer norm and zoneout need a gated cell, c's zoneout and clipping an LSTM.</summary>
    private static void CheckCellOptions(TrainRequest r, RnnCellKind cell)
    {
        var gated = cell is RnnCellKind.Lstm or RnnCellKind.Gru;
        if (r.LayerNorm == true && !gated)
            throw new CliException($"--layer-norm needs --cell lstm or gru, not {cell.ToName()}", ExitCodes.Usage);
        if (r.Zoneout is > 0 && !gated)
            throw new CliException($"--zoneout needs --cell lstm or gru, not {cell.ToName()}", ExitCodes.Usage);
        if (r.ZoneoutCell is > 0 && cell != RnnCellKind.Lstm)
            throw new CliException($"--zoneout-cell needs --cell lstm (only an LSTM has a cell state), not {cell.ToName()}", ExitCodes.Usage);
        if (r.CellClip is not null && cell != RnnCellKind.Lstm)
            throw new CliException($"--cell-clip needs --cell lstm (only an LSTM has a cell state), not {cell.ToName()}", ExitCodes.Usage);
    }

    private static (Tokenization?, Tokenization?) Tokenization(string? text, SequenceTask task)
    {
        if (text is null) return (null, null);
        var parts = text.Split(',');
        var pair = task.Accepts(TaskOptions.TargetTokenize);
        if (parts.Length > 2 || (parts.Length == 2 && !pair))
            throw new CliException($"--tokenize takes one of char, word, space{(pair ? ", or SOURCE,TARGET such as word,char" : "")}; got '{text}'", ExitCodes.Usage);
        var input = Parse(() => Tokenizer.Parse(parts[0]));
        return (input, parts.Length == 2 ? Parse(() => Tokenizer.Parse(parts[1])) : input);
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
            if (given is { } g && !g.Equals(saved)) throw Mismatch($"{option} {Format(g)}", $"{what} {Format(saved)}");
        }
        if (r.Cell is not null && Parse(() => RnnNames.ParseCell(r.Cell)) != s.Cell) throw Mismatch($"--cell {r.Cell}", $"cell {s.Cell.ToName()}");
        Same("--hidden", r.Hidden, s.HiddenSize, "hidden size");
        Same("--layers", r.Layers, s.NumLayers, "layers");
        if (s.TokenInputs) Same("--embedding", r.Embedding, s.EmbeddingSize, "embedding size");
        Same("--dropout", r.Dropout, s.Dropout, "dropout");
        Same("--bidirectional", r.Bidirectional, s.Bidirectional, "bidirectional");
        Same("--forget-bias", r.ForgetBias, s.ForgetBias, "forget bias");
        Same("--layer-norm", r.LayerNorm, s.LayerNorm, "layer norm");
        Same("--zoneout", r.Zoneout, s.Zoneout, "zoneout");
        Same("--zoneout-cell", r.ZoneoutCell, s.ZoneoutCell, "cell zoneout");
        // The checkpoint stores no clipping as 0, which --cell-clip cannot give (it must be positive).
        if (r.CellClip is { } k && k != s.CellClip)
            throw Mismatch($"--cell-clip {Format(k)}", s.CellClip > 0 ? $"cell clip {Format(s.CellClip)}" : "no cell clipping");
        Same("--reverse-source", r.ReverseSource, s.ReverseSource, "reverse source");
        if (task.Accepts(TaskOptions.Length)) Same("--length", r.Length, s.Length, "length");
        if (task.Accepts(TaskOptions.CopyCount)) Same("--copy-count", r.CopyCount, s.CopyCount, "copy count");
        if (r.Init is not null && Parse(() => RecurrentInitializer.Parse(r.Init)) != s.RecurrentInit) throw Mismatch($"--init {r.Init}", $"init {s.RecurrentInit.ToName()}");
        if (r.Pool is not null && Parse(() => TaskNames.ParsePooling(r.Pool)) != s.Pooling) throw Mismatch($"--pool {r.Pool}", $"pooling {s.Pooling.ToName()}");
        if (r.Softmax is not null && Parse(() => TaskNames.ParseSoftmax(r.Softmax)) != s.Softmax) throw Mismatch($"--softmax {r.Softmax}", $"softmax {s.Softmax.ToName()}");
        return s;
    }
}
