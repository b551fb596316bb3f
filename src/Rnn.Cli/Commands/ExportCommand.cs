using System.CommandLine;
using GpuRnn.Cli.Files;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// <c>gpurnn export</c>: writes a trained model as ONNX (opset <see cref="OnnxExporter.Opset"/>,
/// float32, batch and time as dynamic axes) for ONNX Runtime, Triton, OpenVINO or Windows ML. A
/// task checkpoint becomes its whole model (<see cref="ModelGraphs"/>: embedding, stack, pooling,
/// head; seq2seq and caption as an encoder file and a decoder-step file) with the vocabularies and labels in
/// the model's metadata; a bare stack (a PyTorch state_dict that <c>gpurnn run</c> reads) becomes
/// the stack alone (<see cref="OnnxExporter"/>).
/// </summary>
public static class ExportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "A checkpoint of gpurnn train, or a recurrent stack with PyTorch names (.safetensors)", Required = true };
        var onnx = new Option<string>("--onnx") { Description = "Where to write the ONNX model (.onnx); seq2seq and caption write NAME.encoder.onnx and NAME.decoder.onnx", Required = true };
        var lengths = new Option<bool>("--lengths") { Description = "Bare stack: add input lengths [B] (int32, PyTorch's packed semantics)" };
        var states = new Option<bool>("--initial-states") { Description = "Bare stack: add inputs h0 (and c0 for LSTM) [L*D, B, H]" };
        var cell = CommonOptions.StackCell("Bare stack: for an RNN whose file does not say: rnn_tanh (the default) or rnn_relu");
        var gruVariant = CommonOptions.StackGruVariant("Bare stack: for a GRU whose file does not say: reset_after (the default) or reset_before");
        var command = new Command("export", "Export a trained model or a saved stack as ONNX, with its vocabulary and labels in the model's metadata")
        {
            model, onnx, lengths, states, cell, gruVariant,
        };
        command.SetAction(p => Execute(console, new ExportArguments(
            p.GetRequiredValue(model),
            p.GetRequiredValue(onnx),
            p.GetValue(lengths),
            p.GetValue(states),
            CommonOptions.StackCell(p, cell),
            CommonOptions.StackGruVariant(p, gruVariant))));
        return command;
    }

    /// <summary>What <c>gpurnn export</c> was asked to do.</summary>
    /// <param name="Model">The checkpoint or stack file.</param>
    /// <param name="Onnx">The ONNX file to write (seq2seq, caption: the stem of their two files).</param>
    /// <param name="Lengths">Bare stack: a lengths input.</param>
    /// <param name="InitialStates">Bare stack: h0/c0 inputs.</param>
    /// <param name="Cell">Bare stack: rnn_tanh / rnn_relu, when given.</param>
    /// <param name="GruVariant">Bare stack: the GRU variant, when given.</param>
    public sealed record ExportArguments(string Model, string Onnx, bool Lengths, bool InitialStates, RnnCellKind? Cell, GruVariant? GruVariant);

    /// <summary>Exports; returns the exit code (failures are thrown and mapped by <see cref="CliErrors"/>).</summary>
    public static int Execute(CliConsole console, ExportArguments args)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(args);
        var task = Checkpoint.TryTaskOf(args.Model);
        if (task is { } kind) RefuseStackOptions(args, kind);
        var outputs = (task is { } t ? ModelGraphs.Parts(t) : [""])
            .Select(part => (part, part.Length == 0 ? args.Onnx : PartPath(args.Onnx, part))).ToArray();
        var files = new CommandFiles().Input("--model", args.Model);
        foreach (var (part, path) in outputs) files.Output(part.Length == 0 ? "--onnx" : $"--onnx's {part} file", path);
        files.Check();
        foreach (var (_, path) in outputs) CheckOutputPath(path, args.Onnx);

        if (task is null)
        {
            var (spec, bytes) = ExportStack(args);
            Write(args.Onnx, bytes);
            console.Out.WriteLine($"exported {spec} to {args.Onnx} (ONNX opset {OnnxExporter.Opset}, float32): {StackSignature(spec, args)}");
            return ExitCodes.Ok;
        }
        var snapshot = Checkpoint.Load(args.Model);
        var parts = ModelGraphs.Export(snapshot.Spec, snapshot.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value));
        console.Out.WriteLine($"exported {snapshot.Spec} (ONNX opset {OnnxExporter.Opset}, float32)");
        foreach (var part in parts)
        {
            var path = outputs.Single(o => o.Item1 == part.Part).Item2;
            Write(path, part.Bytes);
            console.Out.WriteLine($"  {path}{(part.Part.Length == 0 ? "" : $" ({part.Part})")}: {part.Signature}");
        }
        console.Out.WriteLine("  metadata: gpurnn.input_vocabulary and gpurnn.output_vocabulary (JSON arrays, index = id), gpurnn.spec, gpurnn.graph");
        return ExitCodes.Ok;
    }

    /// <summary>The file of one part of a two-graph model: <c>m.onnx</c> -> <c>m.encoder.onnx</c>.</summary>
    public static string PartPath(string onnx, string part)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        var stem = onnx.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? onnx[..^".onnx".Length] : onnx;
        return $"{stem}.{part}.onnx";
    }

    private static void RefuseStackOptions(ExportArguments args, TaskKind task)
    {
        var given = new[] { (args.Lengths, "--lengths"), (args.InitialStates, "--initial-states"), (args.Cell is not null, "--cell"), (args.GruVariant is not null, "--gru-variant") };
        if (given.FirstOrDefault(g => g.Item1) is (true, var name))
            throw new CliException($"{name} applies to a bare recurrent stack (a file gpurnn run reads), not to the {task.ToName()} checkpoint {args.Model}, whose graph has its own inputs", ExitCodes.Usage);
    }

    private static (RnnSpec Spec, byte[] Bytes) ExportStack(ExportArguments args)
    {
        var file = SafeTensors.Read(args.Model);
        RnnSpec spec;
        try
        {
            (spec, _) = RnnModelFile.Describe(file.Tensors, file.Metadata, new RnnSpecHints(args.Cell, args.GruVariant), args.Model);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{args.Model} is neither a GpuRnn checkpoint (no format metadata) nor a recurrent stack with PyTorch names: {e.Message}");
        }
        return (spec, OnnxExporter.Export(spec, file.Tensors, new OnnxExportOptions(args.InitialStates, args.Lengths)));
    }

    private static string StackSignature(RnnSpec spec, ExportArguments args)
    {
        var lstm = spec.Cell == RnnCellKind.Lstm;
        var rows = spec.NumLayers * spec.Directions;
        var inputs = $"x [T, B, {spec.InputSize}]";
        if (args.InitialStates) inputs += $", h0 [{rows}, B, {spec.StateSize}]" + (lstm ? $", c0 [{rows}, B, {spec.HiddenSize}]" : "");
        if (args.Lengths) inputs += ", lengths [B] int32";
        return $"{inputs} -> y [T, B, {spec.OutputSize}], hn [{rows}, B, {spec.StateSize}]" + (lstm ? $", cn [{rows}, B, {spec.HiddenSize}]" : "");
    }

    // Checked before the export so that the message names the option, not a temporary file.
    private static void CheckOutputPath(string path, string given)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new CliException($"--onnx {given}: {path} is a directory; give a file path such as {Path.Combine(path, "model.onnx")}");
        var directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory))
            throw new CliException($"--onnx {given}: directory '{directory}' does not exist");
    }

    private static void Write(string path, byte[] bytes)
    {
        try
        {
            AtomicFile.Write(Path.GetFullPath(path), stream => stream.Write(bytes));
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliException($"--onnx {path}: cannot write there (permission denied)");
        }
    }
}
