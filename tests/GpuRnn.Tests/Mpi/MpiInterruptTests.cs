using System.Diagnostics;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Mpi;

/// <summary>
/// Ctrl-C of <c>mpirun -np 2 gpurnn train</c>: Open MPI's mpirun sends the ranks SIGTERM, which
/// they take as Ctrl-C (a collective stop): rank 0 saves the checkpoint and says so, and mpirun
/// then exits with its own 1, not the 130 of one process (README, "Ctrl-C under mpirun").
/// </summary>
public sealed class MpiInterruptTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task CtrlCOfMpirunSavesTheCheckpointAndMpirunExitsWithOne()
    {
        var launcher = MpiLauncher.Get("openmpi");
        var checkpoint = _folder.File("model.safetensors");
        var info = new ProcessStartInfo(launcher.Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[.. launcher.Flags, "-np", "2", DotnetHost.FindOrSkip(), Path.Combine(AppContext.BaseDirectory, "gpurnn.dll"),
                     "train", "--steps", "1000000", "--checkpoint-every", "1", "--eval-every", "0", "--sample-length", "0",
                     "--hidden", "16", "--batch", "4", "--seq", "8", "--backend", "cpu", "--out", checkpoint])
            info.ArgumentList.Add(a);
        info.Environment["OMPI_MCA_btl_tcp_if_include"] = "lo";
        info.Environment["OMPI_MCA_oob_tcp_if_include"] = "lo";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var limit = Stopwatch.StartNew();
        while (!File.Exists(checkpoint))
        {
            if (process.HasExited) Assert.Fail($"mpirun exited with {process.ExitCode} before a checkpoint: {await stderr}");
            if (limit.Elapsed > MpiJob.HangLimit) { process.Kill(true); Assert.Fail("no checkpoint appeared in time"); }
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        await Task.Delay(TestRandom.Create().Next(50, 400), TestContext.Current.CancellationToken);
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        wait.CancelAfter(MpiJob.HangLimit);
        await process.WaitForExitAsync(wait.Token);

        // Open MPI's own code for a job it ended on a signal; the ranks' 130 does not reach it.
        Assert.True(process.ExitCode == 1, $"mpirun exited with {process.ExitCode}; stderr: {await stderr}");
        var output = await stdout;
        var match = System.Text.RegularExpressions.Regex.Match(output, @"interrupted at step (\d+): saved (.+); continue with: gpurnn train --resume");
        Assert.True(match.Success, output);
        Assert.Equal(long.Parse(match.Groups[1].Value), GpuRnn.IO.Checkpoint.Load(checkpoint).Step);
    }
}
