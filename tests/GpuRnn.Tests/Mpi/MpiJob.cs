using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace GpuRnn.Tests.Mpi;

/// <summary>An MPI implementation's launcher on this machine, and how it is told to stay on loopback.</summary>
/// <param name="Name">What the tests call it: <c>openmpi</c> or <c>mpich</c>.</param>
/// <param name="Program">The launcher's path.</param>
/// <param name="Flags">Flags before <c>-np</c>.</param>
public sealed record MpiLauncher(string Name, string Program, IReadOnlyList<string> Flags)
{
    /// <summary>The launchers the tests run under.</summary>
    public static TheoryData<string> Names => ["openmpi", "mpich"];

    // Debian names Open MPI's launcher mpirun.openmpi; elsewhere it is the mpirun that says it is Open MPI.
    private static readonly Lazy<MpiLauncher?> OpenMpi = new(() =>
        OpenMpiLauncher() is { } path ? new MpiLauncher("openmpi", path, ["--allow-run-as-root", "--oversubscribe"]) : null);

    private static readonly Lazy<MpiLauncher?> Mpich = new(() =>
        OnPath("mpirun.mpich") is { } path ? new MpiLauncher("mpich", path, []) : null);

    /// <summary>The launcher of that name, or the test skips with the reason it is absent.</summary>
    public static MpiLauncher Get(string name)
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("GpuRnn.Mpi loads the MPI libraries of Linux (libmpi.so.40, libmpich.so.12)");
        var launcher = name == "openmpi" ? OpenMpi.Value : Mpich.Value;
        if (launcher is null)
        {
            Assert.Skip(name == "openmpi"
                ? "Open MPI's mpirun is not on PATH (neither mpirun.openmpi nor an mpirun that says Open MPI); install openmpi-bin libopenmpi-dev"
                : "MPICH's mpirun.mpich is not on PATH; install mpich to run the tests under MPICH too");
        }
        return launcher!;
    }

    private static string? OpenMpiLauncher()
    {
        if (OnPath("mpirun.openmpi") is { } openmpi) return openmpi;
        return OnPath("mpirun") is { } mpirun && VersionSays(mpirun, "Open MPI") ? mpirun : null;
    }

    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    private static bool VersionSays(string program, string words)
    {
        var result = MpiJob.Start(program, ["--version"], new Dictionary<string, string>(), TimeSpan.FromSeconds(60));
        return result.Out.Contains(words, StringComparison.Ordinal);
    }
}

/// <summary>Runs GpuRnn.MpiProbe (tests/GpuRnn.MpiProbe) as the ranks of one MPI job, with a bound on how long it may take.</summary>
public static class MpiJob
{
    /// <summary>What one job returned and printed.</summary>
    public sealed record Result(int ExitCode, string Out, string Error)
    {
        /// <summary>Asserts the job succeeded.</summary>
        public void AssertSucceeded()
        {
            Assert.True(ExitCode == 0, $"exit code {ExitCode}; stderr: {Error}; stdout: {Out}");
        }
    }

    /// <summary>A job this long has hung: it is killed and the test fails (a guard, not a measurement).</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(3);

    private static string Probe => Path.Combine(AppContext.BaseDirectory, "GpuRnn.MpiProbe.dll");

    /// <summary>
    /// <c>launcher -np ranks dotnet GpuRnn.MpiProbe.dll probeArgs...</c> on loopback, with
    /// <paramref name="environment"/> added (the launchers pass the environment on to the ranks).
    /// </summary>
    public static Result Run(MpiLauncher launcher, int ranks, IReadOnlyList<string> probeArgs, IReadOnlyDictionary<string, string>? environment = null)
    {
        var env = new Dictionary<string, string>
        {
            ["OMPI_MCA_btl_tcp_if_include"] = "lo",
            ["OMPI_MCA_oob_tcp_if_include"] = "lo",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) env[key] = value;
        string[] args = [.. launcher.Flags, "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), DotnetHost.FindOrSkip(), Probe, .. probeArgs];
        return Start(launcher.Program, args, env, HangLimit);
    }

    /// <summary><c>launcher -np ranks dotnet gpurnn.dll cliArgs...</c> on loopback: the CLI as the ranks of one job.</summary>
    public static Result RunCli(MpiLauncher launcher, int ranks, IReadOnlyList<string> cliArgs)
    {
        var env = new Dictionary<string, string>
        {
            ["OMPI_MCA_btl_tcp_if_include"] = "lo",
            ["OMPI_MCA_oob_tcp_if_include"] = "lo",
        };
        string[] args = [.. launcher.Flags, "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), DotnetHost.FindOrSkip(),
            Path.Combine(AppContext.BaseDirectory, "gpurnn.dll"), .. cliArgs];
        return Start(launcher.Program, args, env, HangLimit);
    }

    /// <summary>The probe as one plain process, without a launcher.</summary>
    public static Result RunAlone(IReadOnlyList<string> probeArgs, IReadOnlyDictionary<string, string> environment) =>
        Start(DotnetHost.FindOrSkip(), [Probe, .. probeArgs], environment, HangLimit);

    /// <summary>Starts <paramref name="program"/>, waits at most <paramref name="limit"/> (then kills its whole tree and fails).</summary>
    public static Result Start(string program, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, TimeSpan limit)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"{Path.GetFileName(program)} {string.Join(' ', args)} did not end within {limit.TotalSeconds:0} s and was killed; stderr: {stderr.Result}");
        }
        process.WaitForExit();   // the output streams are complete
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Writes <paramref name="values"/> as raw little-endian values (the probe's input format).</summary>
    public static void Write<T>(string path, T[] values) where T : unmanaged =>
        File.WriteAllBytes(path, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>Reads what <see cref="Write{T}"/> writes.</summary>
    public static T[] Read<T>(string path) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(path)).ToArray();
}
