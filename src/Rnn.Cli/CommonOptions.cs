using System.CommandLine;

namespace GpuRnn.Cli;

/// <summary>Options shared by several commands, so each is spelled and described once.</summary>
public static class CommonOptions
{
    /// <summary><c>--backend</c>: cpu, ilgpu-cpu, cuda, opencl or auto (the default); cuda:K and opencl:K name a device (<see cref="BackendChoice"/>).</summary>
    public static Option<string> Backend() => new("--backend")
    {
        Description = "Where to compute: cpu, ilgpu-cpu, cuda, opencl, or auto (CUDA, then OpenCL, then CPU); cuda:K or opencl:K for the K-th device of gpurnn devices (under MPI, without K: the local rank's)",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary><c>--cell</c> of a bare recurrent stack whose file does not say whether its RNN is rnn_tanh or rnn_relu (its tensors cannot tell).</summary>
    public static Option<string?> StackCell(string description)
    {
        var cell = new Option<string?>("--cell") { Description = description };
        cell.AcceptOnlyFromAmong("rnn_tanh", "rnn_relu");
        return cell;
    }

    /// <summary><c>--gru-variant</c> of a bare recurrent stack whose file does not say where its GRU applies the reset gate.</summary>
    public static Option<string?> StackGruVariant(string description)
    {
        var variant = new Option<string?>("--gru-variant") { Description = description };
        variant.AcceptOnlyFromAmong("reset_after", "reset_before");
        return variant;
    }

    /// <summary>The cell <see cref="StackCell(string)"/> names, or null when it was not given.</summary>
    public static RnnCellKind? StackCell(ParseResult parsed, Option<string?> cell)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return parsed.GetValue(cell) is { } c ? RnnNames.ParseCell(c) : null;
    }

    /// <summary>The variant <see cref="StackGruVariant(string)"/> names, or null when it was not given.</summary>
    public static GruVariant? StackGruVariant(ParseResult parsed, Option<string?> gruVariant)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return parsed.GetValue(gruVariant) is { } v ? RnnNames.ParseGruVariant(v) : null;
    }

    /// <summary>Creates the backend named on the command line and prints which one runs.</summary>
    public static IBackend CreateBackend(string name, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        return CreateBackend(name, console.Out);
    }

    /// <summary>Creates the backend named on the command line and prints which one runs on <paramref name="log"/> (standard error where standard output carries results).</summary>
    public static IBackend CreateBackend(string name, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var backend = GpuRnn.Backend.Create(name);
        log.WriteLine($"backend: {backend.Name} ({backend.Description})");
        // With auto, say in one line why CUDA was not taken (when GpuRnn.Gpu is installed), so that a
        // CPU fallback on a GPU machine whose driver fails is not mistaken for the GPU's speed.
        if (name.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase) &&
            GpuRnn.Backend.PassedOver(backend.Name).FirstOrDefault(l => l.StartsWith("cuda:", StringComparison.Ordinal)) is { } cuda)
            log.WriteLine($"  (auto did not take {cuda})");
        return backend;
    }
}
