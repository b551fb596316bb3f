using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using GpuRnn.Cli.Training;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// <c>gpurnn train</c>: trains a model of any task (by default the character-level language model,
/// an LSTM on the built-in arithmetic corpus), shows progress, validates, and writes a checkpoint, a
/// metrics file and a loss plot into its run folder; what it prints about the data, the model and
/// the result is the task's (<see cref="SequenceTask"/>). Ctrl-C saves a checkpoint and stops.
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
        var layerNorm = new Option<bool>("--layer-norm") { Description = "lstm, gru: layer normalisation inside the cell (Ba et al. 2016)" };
        var zoneout = new Option<double?>("--zoneout") { Description = "lstm, gru: zoneout probability on h, in [0, 1) (Krueger et al. 2016; default 0)" };
        var zoneoutCell = new Option<double?>("--zoneout-cell") { Description = "lstm: zoneout probability on the cell state c, in [0, 1) (default 0)" };
        var cellClip = new Option<double?>("--cell-clip") { Description = "lstm: clip the cell state to [-K, K] every step, K > 0 (default: none)" };
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
            data, cell, hidden, layers, embedding, dropout, init, forgetBias, layerNorm, zoneout, zoneoutCell, cellClip, batch, seq, steps, epochs, lr, optimizer, momentum,
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
            LayerNorm = p.GetResult(layerNorm) is null ? null : p.GetValue(layerNorm),
            Zoneout = p.GetValue(zoneout),
            ZoneoutCell = p.GetValue(zoneoutCell),
            CellClip = p.GetValue(cellClip),
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
        var plan = TrainPlan.Resolve(request);
        var task = plan.Task;
        var output = console.Out;
        using var backend = CommonOptions.CreateBackend(request.Backend, console);
        output.WriteLine($"data: {task.DescribeData(plan.Spec, plan.Data)}");
        output.WriteLine($"model: {task.DescribeModel(plan.Spec)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training: {plan.Options.Steps} steps of {task.DescribeBatch(plan.Options)}, {plan.Optimizer}, {plan.Schedule}, clip {plan.Options.Clip}"));
        output.WriteLine($"run folder: {plan.RunFolder}");

        using var model = TaskModels.Create(backend, plan.Spec, plan.Options.Seed);
        if (task.DescribeParameters(model.Parameters.Sum(p => p.Value.ElementCount)) is { } parameters) output.WriteLine(parameters);
        using var trainer = new Trainer(model, plan.Data, plan.Optimizer, plan.Schedule, plan.Options, MpiRanks.ForBatch(plan.Options.Batch));
        if (plan.Resume is not null)
        {
            trainer.Restore(plan.Resume);
            output.WriteLine($"resuming from {request.Resume} at step {trainer.Step}");
        }
        var metricsPath = Path.Combine(plan.RunFolder, "metrics.csv");
        var plotPath = Path.Combine(plan.RunFolder, "loss.png");
        using var metrics = MetricsLog.Open(metricsPath, trainer.Step, model.Unit, lossInNats: !plan.Spec.IsRegression);
        var reporter = new TrainingReporter(new LineProgress(output, plan.Options.Steps, model.Unit), metrics, plan.CheckpointPath, trainer.Step,
            plan.Resume is null ? -1 : trainer.Step, s => task.Describe(plan.Spec, s), request.Resume);

        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; interrupt.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; interrupt.Cancel(); });
        var result = RunWithProgress(console, trainer, reporter, interrupt.Token);
        metrics.Flush();

        if (reporter.EndEarly(result, trainer, () => SavePlot(plotPath, metrics, plan), output) is { } early) return early;

        reporter.Save(trainer);
        SavePlot(plotPath, metrics, plan);
        var report = task.EvaluateTrained(trainer, request.Beam);
        output.WriteLine($"validation: {report.Summary}");
        foreach (var line in report.Details) output.WriteLine(line);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained {trainer.Step - (plan.Resume?.Step ?? 0)} steps in {ProgressText.Duration(reporter.Elapsed)} with validation; training ran at {reporter.CharactersPerSecond:N0} {model.Unit}/s on {backend.Name}"));
        foreach (var line in task.AfterTraining(model, plan.Data, new TrainingSummaryOptions(request.SampleLength, request.Temperature, plan.Options.Seed)))
            output.WriteLine(line);
        output.WriteLine($"wrote {plan.CheckpointPath}, {metricsPath}, {plotPath}");
        return ExitCodes.Ok;
    }

    private static TrainingResult RunWithProgress(CliConsole console, Trainer trainer, TrainingReporter reporter, CancellationToken token)
    {
        if (!CliDisplay.IsInteractive(console)) return trainer.Run(reporter, token);
        return LiveProgress.Show(CliDisplay.For(console), trainer.Step, trainer.Options.Steps, display =>
        {
            reporter.Display = display;
            return trainer.Run(reporter, token);
        }, trainer.Unit);
    }

    private static void SavePlot(string path, MetricsLog metrics, TrainPlan plan)
    {
        if (metrics.Rows.Count == 0) return;
        LossPlot.Save(path, metrics.Rows, plan.Task.PlotTitle(plan.Spec, plan.Data.Name), plan.Task.LossAxis);
    }
}
