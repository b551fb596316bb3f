using System.CommandLine;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// <c>gpurnn devices</c>: every backend with whether it can run here, what it runs on, and why not;
/// then every device the ILGPU runtimes see (name, kind, memory, warp size) and why an installed
/// runtime's device is unusable.
/// </summary>
public static class DevicesCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var command = new Command("devices", "List the backends (cpu, ilgpu-cpu, cuda, opencl) and whether each can run here");
        command.SetAction(_ => Execute(console));
        return command;
    }

    /// <summary>Prints one line per backend; returns the exit code.</summary>
    public static int Execute(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var infos = Backend.Probe();
        var width = Math.Max("backend".Length, infos.Max(i => i.Name.Length));
        console.Out.WriteLine($"{"backend".PadRight(width)}  {"status",-11}  description");
        foreach (var info in infos)
        {
            var status = info.IsAvailable ? "available" : "unavailable";
            var line = $"{info.Name.PadRight(width)}  {status,-11}  {info.Description}";
            if (!info.IsAvailable && !string.IsNullOrEmpty(info.UnavailableReason)) line += $" ({info.UnavailableReason})";
            console.Out.WriteLine(line);
        }
        console.Out.WriteLine();
        console.Out.WriteLine("ILGPU devices:");
        foreach (var device in GpuRnn.Gpu.Devices.GpuDevices.Report()) console.Out.WriteLine("  " + device);
        return ExitCodes.Ok;
    }
}
