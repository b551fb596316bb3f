using System.Globalization;
using GpuRnn.Cli.Files;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// Everything <c>gpurnn train</c> will do, for every task, resolved from the command line, the
/// task's defaults and, when resuming, the checkpoint: a resumed run takes the checkpoint's task,
/// model, vocabularies, optimizer and batch shape, and refuses options that contradict them.
/// </summary>
/// <param name="Task">The task (<c>charlm</c> unless --task or the checkpoint names another).</param>
/// <param name="Spec">The task and model.</param>
/// <param name="Data">The training and validation data.</param>
/// <param name="Optimizer">The optimizer.</param>
/// <param name="Schedule">The learning rate of every step.</param>
/// <param name="Options">Batch shape, steps, clipping, evaluation, checkpoint interval, seed.</param>
/// <param name="CheckpointPath">Where checkpoints are written; its folder gets the metrics and the plot.</param>
/// <param name="Resume">The checkpoint continued from, or null for a fresh run.</param>
public sealed partial record TrainPlan(SequenceTask Task, TaskSpec Spec, TaskData Data, OptimizerConfig Optimizer, LearningRateSchedule Schedule,
    TrainingOptions Options, string CheckpointPath, TaskSnapshot? Resume)
{
    /// <summary>Resolves a request; bad values throw <see cref="CliException"/> with one line naming the option.</summary>
    public static TrainPlan Resolve(TrainRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        CheckValues(r);
        var resume = r.Resume is null ? null : Checkpoint.Load(r.Resume);
        var task = ResolveTask(r, resume);
        CheckApplicable(r, task);

        var seed = resume?.Options.Seed ?? r.Seed ?? 0;
        if (resume is not null && r.Seed is { } s && s != seed) throw Mismatch($"--seed {s}", $"seed {seed}");
        var windowed = task.Accepts(TaskOptions.Window);
        var window = r.Seq ?? (resume?.Options.SequenceLength is { } saved && windowed ? saved : task.DefaultWindow);
        if (resume is not null && windowed && window != resume.Options.SequenceLength)
            throw Mismatch($"--seq {window}", $"seq {resume.Options.SequenceLength}");
        TaskSpec spec;
        TaskData data;
        if (resume is null)
        {
            (spec, data) = TaskSetup.Create(Settings(r, task), r.Data, seed, window);
        }
        else
        {
            spec = CheckSpec(r, resume.Spec, task);
            if (r.Data is null && resume.DataName != task.BuiltInName)
                throw new CliException($"{r.Resume}: was trained on {resume.DataName}; give --data to continue training on a file");
            data = TaskSetup.Load(spec, r.Data, seed, window);
        }
        var optimizer = resume is null ? NewOptimizer(r) : CheckOptimizer(r, resume.Optimizer);
        var batch = r.Batch ?? resume?.Options.Batch ?? TrainDefaults.Batch;
        if (resume is not null && batch != resume.Options.Batch) throw Mismatch($"--batch {batch}", $"batch {resume.Options.Batch}");
        // Checks the data against one batch now, with a message naming the options to change.
        long perEpoch;
        try { perEpoch = data.BatchesPerEpoch(batch); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        long steps;
        if (r.Epochs is { } epochs)
        {
            if (perEpoch == 0) throw new CliException($"--epochs needs data with an end; the {data.Name} is generated without end (give --steps)", ExitCodes.Usage);
            steps = epochs * perEpoch;
        }
        else steps = r.Steps ?? resume?.Options.Steps ?? task.DefaultSteps;
        if (resume is not null && steps <= resume.Step)
            throw new CliException($"{r.Resume}: is already at step {resume.Step}; give --steps above {resume.Step} to train further", ExitCodes.Usage);
        var schedule = ResolveSchedule(r, resume?.Schedule, optimizer.Kind, steps, task.DefaultLearningRateOf(optimizer.Kind));
        var evalEvery = r.EvalEvery ?? resume?.Options.EvalEvery ?? task.DefaultEvalEvery;
        var options = new TrainingOptions(batch, windowed ? window : 1, steps, r.Clip ?? resume?.Options.Clip ?? task.DefaultClip ?? TrainDefaults.Clip, evalEvery,
            r.CheckpointEvery ?? resume?.Options.CheckpointEvery ?? evalEvery, 0, seed);
        if (resume is null)
        {
            CheckSize(r, e =>
            {
                e.AddTaskModel(spec);
                task.AddStateTensors(e, spec, options);
            });
        }
        var path = r.Out ?? r.Resume ?? DefaultCheckpointPath();
        PrepareFolder(path);
        return new TrainPlan(task, spec, data, optimizer, schedule, options, path, resume);
    }

    /// <summary>The folder of the checkpoint, as the user gave it (relative stays relative): where the metrics and the plot go.</summary>
    public string RunFolder => Path.GetDirectoryName(CheckpointPath) is { Length: > 0 } folder ? folder : ".";

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
}
