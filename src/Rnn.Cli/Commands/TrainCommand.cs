using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using GpuRnn.Cli.Training;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// <c>gpurnn train</c>: trains a character-level language model (by default an LSTM on the
/// built-in arithmetic corpus), shows progress, validates, samples, and writes a checkpoint, a
/// metrics file and a loss plot into its run folder. Ctrl-C saves a checkpoint and stops.
/// </summary>
public static class TrainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var data = new Option<string?>("--data") { Description = "UTF-8 text file to train on (first 90% train, last 10% validation); default: the built-in arithmetic corpus" };
        var cell = new Option<string?>("--cell") { Description = "lstm (default), gru, rnn_tanh or rnn_relu" };
        var hidden = new Option<int?>("--hidden") { Description = $"Hidden units per layer (default {TrainDefaults.Hidden})" };
        var layers = new Option<int?>("--layers") { Description = $"Recurrent layers (default {TrainDefaults.Layers})" };
        var embedding = new Option<int?>("--embedding") { Description = $"Character embedding width (default {TrainDefaults.Embedding})" };
        var dropout = new Option<double?>("--dropout") { Description = "Dropout between layers and before the decoder (default 0)" };
        var init = new Option<string?>("--init") { Description = "Recurrent weights: default (PyTorch's), orthogonal, or identity (IRNN, with rnn_relu)" };
        var forgetBias = new Option<bool>("--forget-bias") { Description = "Start the LSTM forget gate's bias at 1" };
        var batch = new Option<int?>("--batch") { Description = $"Parallel streams per step (default {TrainDefaults.Batch})" };
        var seq = new Option<int?>("--seq") { Description = $"Characters per stream per step, the BPTT length (default {TrainDefaults.Seq})" };
        var steps = new Option<long?>("--steps") { Description = $"Train to this step (default {TrainDefaults.Steps})" };
        var epochs = new Option<int?>("--epochs") { Description = "Train for this many passes over the training text instead" };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (default 0.005 for adam/adamw, 0.002 rmsprop, 1 sgd; --task adding: 0.01 with adam)" };
        var optimizer = new Option<string?>("--optimizer") { Description = "adam (default), adamw, sgd or rmsprop" };
        var momentum = new Option<double?>("--momentum") { Description = "Momentum for sgd and rmsprop (default 0)" };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "Weight decay (default 0; 0.01 for adamw)" };
        var schedule = new Option<string?>("--schedule") { Description = "Learning rate: constant (default), step (halved every quarter of the run) or cosine (down to a tenth)" };
        var warmup = new Option<long?>("--warmup") { Description = "Steps of linear learning-rate warm-up (default 0)" };
        var clip = new Option<double?>("--clip") { Description = $"Global gradient-norm limit, 0 = off (default {TrainDefaults.Clip}; --task adding: {TaskDefaults.Clip(TaskKind.Adding)})" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the initial weights and dropout masks (default 0)" };
        var backend = CommonOptions.Backend();
        var output = new Option<string?>("--out") { Description = "Checkpoint file; its folder gets metrics.csv and loss.png (default runs/<time>/model.safetensors)" };
        var resume = new Option<string?>("--resume") { Description = "Continue from this checkpoint (written back to it unless --out is given)" };
        var evalEvery = new Option<int?>("--eval-every") { Description = $"Steps between validations (default {TrainDefaults.EvalEvery}; 0 = only at the end)" };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Steps between checkpoints (default: as --eval-every; 0 = only at the end)" };
        var sampleLength = new Option<int>("--sample-length") { Description = "Characters sampled at the end", DefaultValueFactory = _ => 200 };
        var temperature = new Option<double>("--temperature") { Description = "Temperature of that sample", DefaultValueFactory = _ => 0.8 };
        var task = new Option<string?>("--task") { Description = $"charlm (default: the character model), {TaskRegistry.Names}" };
        var bidirectional = new Option<bool?>("--bidirectional") { Description = "classify, tag, adding: bidirectional layers (default: on for tag)" };
        var pool = new Option<string?>("--pool") { Description = "classify, adding: last (final state, default) or mean (of the outputs)" };
        var length = new Option<int?>("--length") { Description = "adding: sequence length T (default 50); copy: delay T (default 10)" };
        var copyCount = new Option<int?>("--copy-count") { Description = $"copy: symbols to remember (default {TaskDefaults.CopyCount})" };
        var tokenize = new Option<string?>("--tokenize") { Description = "classify, seq2seq, wordlm: char, word or space; seq2seq also SOURCE,TARGET (defaults: word; char for seq2seq files, word,char built in)" };
        var minCount = new Option<int?>("--min-count") { Description = "Input tokens seen fewer times in training are read as <unk> (default 1)" };
        var softmax = new Option<string?>("--softmax") { Description = "wordlm: class (class-based, default) or full" };
        var classes = new Option<int?>("--classes") { Description = "wordlm: classes of the class-based softmax (default about sqrt(V))" };
        var reverseSource = new Option<bool?>("--reverse-source") { Description = "seq2seq: the encoder reads the source backwards (default true)" };
        var beam = new Option<int>("--beam") { Description = "seq2seq: beam width of the final evaluation (default 1, greedy)", DefaultValueFactory = _ => 1 };

        var command = new Command("train", "Train a model: a character-level language model (with no options, an LSTM on a built-in arithmetic corpus) or, with --task, a sequence task")
        {
            data, cell, hidden, layers, embedding, dropout, init, forgetBias, batch, seq, steps, epochs, lr, optimizer, momentum,
            weightDecay, schedule, warmup, clip, seed, backend, output, resume, evalEvery, checkpointEvery, sampleLength, temperature,
            task, bidirectional, pool, length, copyCount, tokenize, minCount, softmax, classes, reverseSource, beam,
        };
        command.SetAction(p => MpiRanks.Run(console, new TrainRequest
        {
            Data = p.GetValue(data),
            Cell = p.GetValue(cell),
            Hidden = p.GetValue(hidden),
            Layers = p.GetValue(layers),
            Embedding = p.GetValue(embedding),
            Dropout = p.GetValue(dropout),
            Init = p.GetValue(init),
            ForgetBias = p.GetResult(forgetBias) is null ? null : p.GetValue(forgetBias),
            Batch = p.GetValue(batch),
            Seq = p.GetValue(seq),
            Steps = p.GetValue(steps),
            Epochs = p.GetValue(epochs),
            LearningRate = p.GetValue(lr),
            Optimizer = p.GetValue(optimizer),
            Momentum = p.GetValue(momentum),
            WeightDecay = p.GetValue(weightDecay),
            Schedule = p.GetValue(schedule),
            Warmup = p.GetValue(warmup),
            Clip = p.GetValue(clip),
            Seed = p.GetValue(seed),
            Backend = p.GetValue(backend) ?? "auto",
            Out = p.GetValue(output),
            Resume = p.GetValue(resume),
            EvalEvery = p.GetValue(evalEvery),
            CheckpointEvery = p.GetValue(checkpointEvery),
            SampleLength = p.GetValue(sampleLength),
            Temperature = p.GetValue(temperature),
            Task = p.GetValue(task),
            Bidirectional = p.GetValue(bidirectional),
            Pool = p.GetValue(pool),
            Length = p.GetValue(length),
            CopyCount = p.GetValue(copyCount),
            Tokenize = p.GetValue(tokenize),
            MinCount = p.GetValue(minCount),
            Softmax = p.GetValue(softmax),
            Classes = p.GetValue(classes),
            ReverseSource = p.GetValue(reverseSource),
            Beam = p.GetValue(beam),
        }, (rankConsole, rankRequest) => Execute(rankConsole, rankRequest)));
        return command;
    }

    /// <summary>Trains as <paramref name="request"/> says; returns the exit code.</summary>
    public static int Execute(CliConsole console, TrainRequest request, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(request);
        // What the run reads and writes is settled first: no output may be an input, and the
        // checkpoint and metrics file stay locked until the run ends.
        var checkpoint = request.Out ?? request.Resume ?? TrainPlan.DefaultCheckpointPath();
        using var files = TrainPlan.Files(request, checkpoint).Acquire();
        request = request with { Out = checkpoint };
        var charModel = request.Task is null || request.Task.Trim().Equals("charlm", StringComparison.OrdinalIgnoreCase);
        if (request.Resume is not null && Checkpoint.TryTaskOf(request.Resume) is { } resumed && resumed != TaskKind.CharLm)
        {
            if (request.Task is not null && charModel)
                throw new CliException($"{request.Resume}: is a checkpoint of --task {resumed.ToName()}, not of the character model (leave --task out)");
            return TaskTrainCommand.Execute(console, request, Checkpoint.Load(request.Resume), cancellation);
        }
        if (!charModel)
        {
            if (request.Resume is not null)
                throw new CliException($"{request.Resume}: is a checkpoint of the character model (charlm), not of --task {request.Task} (leave --task out to continue it)");
            return TaskTrainCommand.Execute(console, request, null, cancellation);
        }
        RefuseTaskOptions(request);
        var plan = TrainPlan.Resolve(request);
        var output = console.Out;
        using var backend = CommonOptions.CreateBackend(request.Backend, console);
        var corpus = plan.Corpus;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"data: {corpus.Name}: {corpus.Train.Length + corpus.Validation.Length:N0} characters ({corpus.Train.Length:N0} train, {corpus.Validation.Length:N0} validation), {corpus.Vocabulary.Count} distinct"));
        output.WriteLine($"model: {plan.Spec}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training: {plan.Options.Steps} steps of {plan.Options.Batch} x {plan.Options.SequenceLength} characters, {plan.Optimizer}, {plan.Schedule}, clip {plan.Options.Clip}"));
        output.WriteLine($"run folder: {(Path.GetDirectoryName(plan.CheckpointPath) is { Length: > 0 } folder ? folder : ".")}");

        using var model = new CharRnnModel(backend, plan.ModelSpec, plan.Options.Seed);
        using var trainer = new Trainer(model, new StreamTaskData(corpus.Name, corpus.Train, corpus.Validation, plan.Options.SequenceLength),
            plan.Optimizer, plan.Schedule, plan.Options, MpiRanks.ForBatch(plan.Options.Batch));
        if (plan.Resume is not null)
        {
            trainer.Restore(plan.Resume);
            output.WriteLine($"resuming from {request.Resume} at step {trainer.Step}");
        }
        // Paths are shown as the user gave them (relative stays relative).
        var shownFolder = Path.GetDirectoryName(plan.CheckpointPath) is { Length: > 0 } d ? d : ".";
        var metricsPath = Path.Combine(shownFolder, "metrics.csv");
        var plotPath = Path.Combine(shownFolder, "loss.png");
        using var metrics = MetricsLog.Open(metricsPath, trainer.Step);
        var reporter = new TrainingReporter(new LineProgress(output, plan.Options.Steps), metrics, plan.CheckpointPath, trainer.Step,
            plan.Resume is null ? -1 : trainer.Step, resumedFrom: request.Resume);

        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; interrupt.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; interrupt.Cancel(); });
        var result = RunWithProgress(console, trainer, reporter, interrupt.Token);
        metrics.Flush();

        if (reporter.EndEarly(result, trainer, () => SavePlot(plotPath, metrics, plan), output) is { } early) return early;

        reporter.Save(trainer);
        SavePlot(plotPath, metrics, plan);
        Summarize(console, plan, trainer, reporter, request);
        output.WriteLine($"wrote {plan.CheckpointPath}, {metricsPath}, {plotPath}");
        return ExitCodes.Ok;
    }

    private static void RefuseTaskOptions(TrainRequest r)
    {
        var given = new (bool Given, string Option)[]
        {
            (r.Bidirectional is not null, "--bidirectional"), (r.Pool is not null, "--pool"), (r.Length is not null, "--length"),
            (r.CopyCount is not null, "--copy-count"), (r.Tokenize is not null, "--tokenize"), (r.MinCount is not null, "--min-count"),
            (r.Softmax is not null, "--softmax"), (r.Classes is not null, "--classes"), (r.ReverseSource is not null, "--reverse-source"), (r.Beam != 1, "--beam"),
        }.FirstOrDefault(g => g.Given);
        if (given.Given) throw new CliException($"{given.Option} applies to a --task other than charlm (the character model)", ExitCodes.Usage);
    }

    private static TrainingResult RunWithProgress(CliConsole console, Trainer trainer, TrainingReporter reporter, CancellationToken token)
    {
        if (!CliDisplay.IsInteractive(console)) return trainer.Run(reporter, token);
        return LiveProgress.Show(CliDisplay.For(console), trainer.Step, trainer.Options.Steps, display =>
        {
            reporter.Display = display;
            return trainer.Run(reporter, token);
        });
    }

    private static void Summarize(CliConsole console, TrainPlan plan, Trainer trainer, TrainingReporter reporter, TrainRequest request)
    {
        var output = console.Out;
        var corpus = plan.Corpus;
        var validation = (trainer.LastEvaluation ?? trainer.EvaluateNow()).Validation;
        var unigram = UnigramBits(corpus.Train, corpus.Vocabulary.Count);
        output.WriteLine($"validation: {TrainingReporter.Describe(validation)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"for comparison, the unigram entropy of the text is {unigram:F3} bits/char (a model that ignores context)"));
        if (corpus.Name == ArithmeticCorpus.Name)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"and a perfect model needs {ArithmeticCorpus.EntropyBitsPerCharacter():F3} bits/char on it (the operands are random; the answers are not)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained {trainer.Step - (plan.Resume?.Step ?? 0)} steps in {ProgressText.Duration(reporter.Elapsed)} with validation; training ran at {reporter.CharactersPerSecond:N0} chars/s on {trainer.Model.Backend.Name}"));
        if (request.SampleLength > 0)
        {
            var sample = Sampler.Generate((CharRnnModel)trainer.Model, corpus.Vocabulary, "", request.SampleLength,
                new SamplingOptions(request.Temperature, 0, plan.Options.Seed));
            output.WriteLine($"sample (temperature {request.Temperature.ToString(CultureInfo.InvariantCulture)}):");
            output.WriteLine(sample.TrimEnd('\n'));
        }
        if (corpus.Name == ArithmeticCorpus.Name)
        {
            var quiz = ArithmeticQuiz.Run((CharRnnModel)trainer.Model, corpus.Vocabulary, 100, seed: 2024);
            var right = quiz.Count(q => q.Correct);
            output.WriteLine($"arithmetic check: {right} of {quiz.Count} new statements completed correctly, e.g. "
                + string.Join(", ", quiz.Take(6).Select(q => $"{q.Question}{q.Answer} {(q.Correct ? "(right)" : "(wrong)")}")));
        }
    }

    private static void SavePlot(string path, MetricsLog metrics, TrainPlan plan)
    {
        if (metrics.Rows.Count == 0) return;
        LossPlot.Save(path, metrics.Rows, $"{plan.Spec.Cell.ToName()} {plan.Spec.NumLayers}x{plan.Spec.HiddenSize} on {Path.GetFileName(plan.Corpus.Name)}");
    }

    private static double UnigramBits(int[] tokens, int vocabulary)
    {
        var counts = new long[vocabulary];
        foreach (var t in tokens) counts[t]++;
        var bits = 0.0;
        foreach (var c in counts)
        {
            if (c == 0) continue;
            var p = (double)c / tokens.Length;
            bits -= p * Math.Log2(p);
        }
        return bits;
    }
}
