using System.CommandLine;
using GpuRnn.Cli.Training;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// <c>gpurnn eval</c>: a trained model on labelled data, judged by its task (<see cref="Evaluator"/>):
/// loss, bits per character and accuracy over a text (charlm), accuracy and a confusion matrix,
/// entity F1, exact match, squared error or perplexity, on a file in the task's format or, without
/// a file, on fresh built-in examples.
/// </summary>
public static class EvalCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "A checkpoint written by gpurnn train (.safetensors)", Required = true };
        var data = new Option<string?>("--data") { Description = "Data to evaluate on, in the training format (all of it); a model trained on built-in data may leave it out (fresh built-in examples)" };
        var batch = new Option<int?>("--batch") { Description = "Parallel streams or examples (default: the model's training batch)" };
        var seq = new Option<int?>("--seq") { Description = "Characters (charlm) or words (wordlm) per chunk (default: the model's training length)" };
        var beam = new Option<int>("--beam") { Description = "seq2seq: beam width (default 1, greedy)", DefaultValueFactory = _ => 1 };
        var backend = CommonOptions.Backend();
        var command = new Command("eval", "Evaluate a trained model on labelled data") { model, data, batch, seq, beam, backend };
        command.SetAction(p => MpiRanks.Run(console, rankConsole =>
            Execute(rankConsole, p.GetRequiredValue(model), p.GetValue(data), p.GetValue(batch), p.GetValue(seq), p.GetValue(backend) ?? "auto", p.GetValue(beam))));
        return command;
    }

    /// <summary>Evaluates and prints the result; returns the exit code.</summary>
    public static int Execute(CliConsole console, string modelPath, string? dataPath, int? batch, int? seq, string backendName, int beam = 1)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (batch is <= 0) throw new CliException($"--batch must be positive, got {batch}", ExitCodes.Usage);
        if (seq is <= 0) throw new CliException($"--seq must be positive, got {seq}", ExitCodes.Usage);
        if (beam <= 0) throw new CliException($"--beam must be positive, got {beam}", ExitCodes.Usage);
        var snapshot = Checkpoint.Load(modelPath);
        var spec = snapshot.Spec;
        var task = TaskRegistry.Get(spec.Task);
        if (beam != 1 && !task.Accepts(TaskOptions.Beam)) throw new CliException($"--beam applies to a seq2seq model, not to --task {task.Name}", ExitCodes.Usage);
        if (seq is not null && !task.Accepts(TaskOptions.Window)) throw new CliException($"--seq applies to a character or word language model, not to --task {task.Name}", ExitCodes.Usage);
        var window = seq ?? snapshot.Options.SequenceLength;
        if (dataPath is null && snapshot.DataName != task.BuiltInName)
            throw new CliException($"{modelPath}: was trained on {snapshot.DataName}; give --data to evaluate it (built-in examples exist only for a model trained on the {task.BuiltInName})", ExitCodes.Usage);
        // The data is read and checked before a backend starts, so a malformed line costs nothing.
        var examples = dataPath is null ? TaskSetup.BuiltInTest(spec, window) : TaskSetup.ReadFile(spec, dataPath, window);
        using var backend = CommonOptions.CreateBackend(backendName, console);
        var (model, _) = Checkpoint.LoadModel(modelPath, backend);
        using (model)
        {
            var report = Evaluator.Evaluate(model, examples, batch ?? snapshot.Options.Batch, beam, MpiRanks.Communicator);
            var what = dataPath is null ? $"fresh examples of the {task.BuiltInName}" : dataPath;
            console.Out.WriteLine($"evaluated {task.DescribeEvaluated(examples, report)} of {what}: {report.Summary}");
            foreach (var line in report.Details) console.Out.WriteLine(line);
        }
        return ExitCodes.Ok;
    }
}
