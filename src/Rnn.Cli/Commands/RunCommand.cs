using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GpuRnn.Cli.Files;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// <c>gpurnn run</c>: runs a recurrent stack saved as safetensors (PyTorch names) on an input file
/// and writes <c>y</c>, <c>hn</c> and, for LSTM, <c>cn</c> in the model's dtype.
/// </summary>
public static class RunCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "Model weights (.safetensors, PyTorch state_dict names)", Required = true };
        var input = new Option<string>("--input") { Description = "Inputs (.safetensors): x [T, B, I] time-major; optional h0, c0 [L*D, B, H], lengths [B]", Required = true };
        var output = new Option<string>("--output") { Description = "Where to write y [T, B, D*H], hn and (LSTM) cn (.safetensors)", Required = true };
        var backend = CommonOptions.Backend();
        var cell = CommonOptions.StackCell("For an RNN whose file does not say: rnn_tanh (the default) or rnn_relu");
        var gruVariant = CommonOptions.StackGruVariant("For a GRU whose file does not say: reset_after (PyTorch, the default) or reset_before");

        var command = new Command("run", "Run a saved RNN/LSTM/GRU stack on inputs from a safetensors file") { model, input, output, backend, cell, gruVariant };
        command.SetAction(parsed => Execute(console, new RunArguments(
            parsed.GetRequiredValue(model),
            parsed.GetRequiredValue(input),
            parsed.GetRequiredValue(output),
            parsed.GetValue(backend) ?? "auto",
            CommonOptions.StackCell(parsed, cell),
            CommonOptions.StackGruVariant(parsed, gruVariant))));
        return command;
    }

    /// <summary>What <c>gpurnn run</c> was asked to do.</summary>
    /// <param name="Model">Model file path.</param>
    /// <param name="Input">Input file path.</param>
    /// <param name="Output">Output file path.</param>
    /// <param name="Backend">Backend name or auto.</param>
    /// <param name="Cell">rnn_tanh / rnn_relu, when given.</param>
    /// <param name="GruVariant">GRU variant, when given.</param>
    public sealed record RunArguments(string Model, string Input, string Output, string Backend, RnnCellKind? Cell, GruVariant? GruVariant);

    /// <summary>Runs the model; returns the exit code (failures are thrown and mapped by <see cref="CliErrors"/>).</summary>
    public static int Execute(CliConsole console, RunArguments args)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(args);
        new CommandFiles().Input("--model", args.Model).Input("--input", args.Input).Output("--output", args.Output).Check();
        var hints = new RnnSpecHints(args.Cell, args.GruVariant);
        var modelFile = SafeTensors.Read(args.Model);
        var (spec, dtype) = RnnModelFile.Describe(modelFile.Tensors, modelFile.Metadata, hints, args.Model);
        var inputs = RunInputs.Load(args.Input, spec, dtype);
        CheckOutputPath(args.Output);

        var backend = CommonOptions.CreateBackend(args.Backend, console);
        try
        {
            if (!backend.Supports(dtype) && args.Backend.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
            {
                console.Out.WriteLine($"note: {backend.Name} does not compute in {dtype.DisplayName()}; the {dtype.DisplayName()} model runs on cpu");
                backend.Dispose();
                backend = CommonOptions.CreateBackend("cpu", console);
            }
            var clock = Stopwatch.StartNew();
            var written = Forward(backend, modelFile, hints, args, inputs);
            clock.Stop();
            SafeTensors.Write(args.Output, written, new Dictionary<string, string> { ["backend"] = backend.Name });
            var lengths = inputs.Lengths is null ? "" : $" with lengths {inputs.Lengths.Min()}..{inputs.Lengths.Max()}";
            var outputs = string.Join(", ", written.Select(kv => $"{kv.Key} {kv.Value.Shape}"));
            console.Out.WriteLine($"ran {spec} ({dtype.DisplayName()}) on x {inputs.X.Shape}{lengths} in "
                + $"{clock.Elapsed.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture)} ms; wrote {outputs} to {args.Output}");
            return ExitCodes.Ok;
        }
        finally
        {
            backend.Dispose();
        }
    }

    private static List<KeyValuePair<string, HostTensor>> Forward(IBackend backend, SafeTensorsFile modelFile, RnnSpecHints hints,
        RunArguments args, RunInputs inputs)
    {
        using var stack = RnnModelFile.FromTensors(modelFile.Tensors, modelFile.Metadata, backend, hints, args.Model);
        using var x = inputs.X.ToDevice(backend);
        using var h0 = inputs.H0?.ToDevice(backend);
        using var c0 = inputs.C0?.ToDevice(backend);
        var lengths = inputs.Lengths is null ? null : new SequenceLengths(inputs.Lengths);
        using var result = stack.Forward(x, h0, c0, lengths);
        var written = new List<KeyValuePair<string, HostTensor>>
        {
            new("y", result.Output.ToHost()),
            new("hn", result.Hidden.ToHost()),
        };
        if (result.Cell is not null) written.Add(new("cn", result.Cell.ToHost()));
        return written;
    }

    // Checked before the run so that a long computation is not lost to a typo in the output path.
    private static void CheckOutputPath(string output)
    {
        var full = Path.GetFullPath(output);
        if (Directory.Exists(full))
            throw new CliException($"--output {output} is a directory; give a file path such as {Path.Combine(output, "y.safetensors")}");
        var directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory))
            throw new CliException($"--output {output}: directory '{directory}' does not exist");
    }
}
