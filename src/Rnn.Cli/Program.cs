using System.CommandLine;
using GpuRnn.Cli.Commands;

namespace GpuRnn.Cli;

/// <summary>The <c>gpurnn</c> entry point: one subcommand per job, each in <c>Commands/</c>.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command; returns the exit code.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error, Console.In);

    /// <summary>
    /// Runs <c>gpurnn</c> in-process with the given output streams (what tests call). Every failure
    /// is one line <c>gpurnn: error: ...</c> on <paramref name="stderr"/> and a non-zero exit code
    /// (<see cref="ExitCodes"/>).
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <param name="stdout">Standard output.</param>
    /// <param name="stderr">Standard error.</param>
    /// <param name="stdin">Standard input (none when null).</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, TextReader? stdin = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var console = new CliConsole(stdout, stderr) { In = stdin ?? TextReader.Null };
        var root = new RootCommand("gpurnn: train and run RNN, LSTM and GRU models on GPUs (ILGPU) or the CPU")
        {
            RunCommand.Create(console),
            DevicesCommand.Create(console),
            TrainCommand.Create(console),
            SampleCommand.Create(console),
            EvalCommand.Create(console),
            PredictCommand.Create(console),
            ExportCommand.Create(console),
            BenchCommand.Create(console),
        };
        NumberOptions.Apply(root);
        return CliErrors.Guard(console, () =>
        {
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
                return CliErrors.Report(console, $"{string.Join(' ', parsed.Errors.Select(e => e.Message).Distinct())} (see 'gpurnn {CommandPath(parsed)}--help')", ExitCodes.Usage);
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        });
    }

    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var c = parsed.CommandResult; c is not null && c.Command is not RootCommand; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, c.Command.Name);
        return names.Count == 0 ? "" : string.Join(' ', names) + " ";
    }
}
