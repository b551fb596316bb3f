using System.Globalization;
using System.Runtime.InteropServices;
using GpuRnn.Cli.Training;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// <c>gpurnn train --task NAME</c> for the sequence tasks: the same progress, validation,
/// checkpoints, metrics file, loss plot, Ctrl-C and divergence handling as the character model,
/// then the task's own evaluation of the validation examples.
/// </summary>
public static class TaskTrainCommand
{
    /// <summary>Trains as <paramref name="request"/> says (its task is not charlm, or it resumes a task checkpoint); returns the exit code.</summary>
    public static int Execute(CliConsole console, TrainRequest request, TaskSnapshot? resume, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(request);
        var plan = TaskPlan.Resolve(request, resume);
        var output = console.Out;
        using var backend = CommonOptions.CreateBackend(request.Backend, console);
        var data = plan.Data;
        var trainCount = data is FixedTaskData fixedData ? fixedData.Train.Count.ToString("N0", CultureInfo.InvariantCulture) : "generated without end";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"data: {data.Name}: training examples {trainCount}, validation examples {data.Validation.Count:N0}"));
        output.WriteLine($"model: {plan.Spec}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training: {plan.Options.Steps} steps of {plan.Options.Batch} examples, {plan.Optimizer}, {plan.Schedule}, clip {plan.Options.Clip}"));
        var folder = Path.GetDirectoryName(plan.CheckpointPath) is { Length: > 0 } d ? d : ".";
        output.WriteLine($"run folder: {folder}");

        using var model = TaskModels.Create(backend, plan.Spec, plan.Options.Seed);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parameters: {model.Parameters.Sum(p => p.Value.ElementCount):N0}"));
        using var trainer = new Trainer(model, data, plan.Optimizer, plan.Schedule, plan.Options, MpiRanks.ForBatch(plan.Options.Batch));
        if (plan.Resume is not null)
        {
            trainer.Restore(plan.Resume);
            output.WriteLine($"resuming from {request.Resume} at step {trainer.Step}");
        }
        var metricsPath = Path.Combine(folder, "metrics.csv");
        var plotPath = Path.Combine(folder, "loss.png");
        using var metrics = MetricsLog.Open(metricsPath, trainer.Step, model.Unit, lossInNats: !plan.Spec.IsRegression);
        var describe = (LossStats s) => TaskEvaluator.Describe(plan.Spec, s);
        var reporter = new TrainingReporter(new LineProgress(output, plan.Options.Steps, model.Unit), metrics, plan.CheckpointPath, trainer.Step,
            plan.Resume is null ? -1 : trainer.Step, describe, request.Resume);

        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; interrupt.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; interrupt.Cancel(); });
        var result = CliDisplay.IsInteractive(console)
            ? LiveProgress.Show(CliDisplay.For(console), trainer.Step, plan.Options.Steps, display =>
            {
                reporter.Display = display;
                return trainer.Run(reporter, interrupt.Token);
            }, model.Unit)
            : trainer.Run(reporter, interrupt.Token);
        metrics.Flush();

        if (reporter.EndEarly(result, trainer, () => SavePlot(plotPath, metrics, plan), output) is { } early) return early;

        reporter.Save(trainer);
        SavePlot(plotPath, metrics, plan);
        var report = TaskEvaluator.Evaluate(model, data.Validation, plan.Options.Batch, request.Beam);
        output.WriteLine($"validation: {report.Summary}");
        foreach (var line in report.Details) output.WriteLine(line);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained {trainer.Step - (plan.Resume?.Step ?? 0)} steps in {ProgressText.Duration(reporter.Elapsed)} with validation; training ran at {reporter.CharactersPerSecond:N0} {model.Unit}/s on {backend.Name}"));
        output.WriteLine($"wrote {plan.CheckpointPath}, {metricsPath}, {plotPath}");
        return ExitCodes.Ok;
    }

    private static void SavePlot(string path, MetricsLog metrics, TaskPlan plan)
    {
        if (metrics.Rows.Count == 0) return;
        var spec = plan.Spec;
        var loss = TaskRegistry.Get(spec.Task).LossAxis;
        LossPlot.Save(path, metrics.Rows, $"{spec.Task.ToName()}: {spec.Cell.ToName()} {spec.NumLayers}x{spec.HiddenSize} on {Path.GetFileName(plan.Data.Name)}", loss);
    }
}
