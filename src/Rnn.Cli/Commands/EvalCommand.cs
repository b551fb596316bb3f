using System.CommandLine;
using System.Globalization;
using GpuRnn.Cli.Training;

namespace GpuRnn.Cli.Commands;

/// <summary><c>gpurnn eval</c>: loss, bits per character and next-character accuracy of a trained model on a text file.</summary>
public static class EvalCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "A checkpoint written by gpurnn train (.safetensors)", Required = true };
        var data = new Option<string>("--data") { Description = "UTF-8 text file to evaluate on (all of it)", Required = true };
        var batch = new Option<int?>("--batch") { Description = "Parallel streams (default: the model's training batch)" };
        var seq = new Option<int?>("--seq") { Description = "Characters per chunk (default: the model's training length)" };
        var backend = CommonOptions.Backend();
        var command = new Command("eval", "Evaluate a trained model on a text file") { model, data, batch, seq, backend };
        command.SetAction(p => Execute(console, p.GetRequiredValue(model), p.GetRequiredValue(data), p.GetValue(batch), p.GetValue(seq), p.GetValue(backend) ?? "auto"));
        return command;
    }

    /// <summary>Evaluates and prints the result; returns the exit code.</summary>
    public static int Execute(CliConsole console, string modelPath, string dataPath, int? batch, int? seq, string backendName)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (batch is <= 0) throw new CliException($"--batch must be positive, got {batch}", ExitCodes.Usage);
        if (seq is <= 0) throw new CliException($"--seq must be positive, got {seq}", ExitCodes.Usage);
        var snapshot = TrainingCheckpoint.Load(modelPath);
        var text = TextCorpus.ReadText(dataPath);
        int[] ids;
        try { ids = snapshot.Vocabulary.Encode(text, $"data file '{dataPath}'"); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        if (ids.Length < 2) throw new CliException($"data file '{dataPath}' has {ids.Length} character; at least 2 are needed to predict one");

        using var backend = CommonOptions.CreateBackend(backendName, console);
        var (model, _) = TrainingCheckpoint.LoadModel(modelPath, backend);
        using (model)
        {
            var stats = Evaluator.Evaluate(model, ids, batch ?? snapshot.Options.Batch, seq ?? snapshot.Options.SequenceLength);
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"evaluated {stats.Count:N0} characters of {dataPath}: {TrainingReporter.Describe(stats)}"));
        }
        return ExitCodes.Ok;
    }
}
