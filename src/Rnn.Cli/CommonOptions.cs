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
