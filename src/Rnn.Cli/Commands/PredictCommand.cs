using System.CommandLine;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// <c>gpurnn predict</c>: runs a task model on unlabelled inputs, one per line, from a file or
/// standard input, and prints one result per input (<see cref="TaskPredictor"/> lists the formats).
/// </summary>
public static class PredictCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "A task checkpoint written by gpurnn train --task NAME (.safetensors)", Required = true };
        var input = new Option<string?>("--input") { Description = "File of inputs, one per line (default, or '-': standard input); each line gets one result, so a blank line is an error naming it" };
        var beam = new Option<int>("--beam") { Description = $"{TaskRegistry.NamesAccepting(TaskOptions.Beam)}: beam width (default 1, greedy)", DefaultValueFactory = _ => 1 };
        var top = new Option<int>("--top") { Description = "wordlm: most probable next words shown", DefaultValueFactory = _ => 5 };
        var backend = CommonOptions.Backend();
        var command = new Command("predict", "Predict with a task model: labels, tags, outputs, sums, symbols or next words for inputs read line by line")
        {
            model, input, beam, top, backend,
        };
        command.SetAction(p => Execute(console, p.GetRequiredValue(model), p.GetValue(input), p.GetValue(beam), p.GetValue(top), p.GetValue(backend) ?? "auto"));
        return command;
    }

    /// <summary>Predicts and prints one result per input; returns the exit code.</summary>
    public static int Execute(CliConsole console, string modelPath, string? inputPath, int beam, int top, string backendName)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (beam <= 0) throw new CliException($"--beam must be positive, got {beam}", ExitCodes.Usage);
        if (top <= 0) throw new CliException($"--top must be positive, got {top}", ExitCodes.Usage);
        if (Checkpoint.TryTaskOf(modelPath) is not { } task || !TaskRegistry.Get(task).CanPredict)
        {
            _ = Checkpoint.Load(modelPath);
            throw new CliException($"{modelPath}: is a character model; 'gpurnn sample' continues a text with it (predict is for --task models)", ExitCodes.Usage);
        }
        var snapshot = Checkpoint.Load(modelPath);
        if (beam != 1 && !TaskRegistry.Get(snapshot.Spec.Task).Accepts(TaskOptions.Beam)) throw new CliException($"--beam applies to a {TaskRegistry.NamesAccepting(TaskOptions.Beam)} model, not to --task {snapshot.Spec.Task.ToName()}", ExitCodes.Usage);
        var fromStdin = inputPath is null or "-";
        var source = fromStdin ? "standard input" : DataFile.Describe(inputPath!);
        var lines = fromStdin ? DataFile.Lines(console.In.ReadToEnd()) : DataFile.ReadLines(inputPath!);
        // The inputs are read and checked before a backend starts, so a malformed line is the only thing printed.
        var inputs = TaskPredictor.Read(snapshot.Spec, lines, source, DataFile.Separator(fromStdin ? null : inputPath, lines));
        using var backend = CommonOptions.CreateBackend(backendName, console.Error);
        var (model, _) = Checkpoint.LoadModel(modelPath, backend);
        using (model)
        {
            foreach (var line in TaskPredictor.Predict(model, inputs, beam, top))
                console.Out.WriteLine(line);
        }
        return ExitCodes.Ok;
    }
}
