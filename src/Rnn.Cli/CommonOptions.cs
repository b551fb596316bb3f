using System.CommandLine;

namespace GpuRnn.Cli;

/// <summary>Options shared by several commands, so each is spelled and described once.</summary>
public static class CommonOptions
{
    /// <summary><c>--backend</c>: cpu, ilgpu-cpu, cuda, opencl or auto (the default).</summary>
    public static Option<string> Backend() => new("--backend")
    {
        Description = "Where to compute: cpu, ilgpu-cpu, cuda, opencl, or auto (CUDA, then OpenCL, then CPU)",
        DefaultValueFactory = _ => "auto",
    };

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
        return backend;
    }
}
