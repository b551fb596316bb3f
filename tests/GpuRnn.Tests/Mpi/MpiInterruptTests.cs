using System.Diagnostics;
using System.Globalization;
using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Mpi;

/// <summary>
/// Stopping <c>mpirun -np 2 gpurnn train</c> (README, "Stopping a run under mpirun"). Ctrl-C of
/// mpirun: Open MPI's mpirun sends the ranks SIGTERM, which they take as Ctrl-C (a collective
/// stop): rank 0 saves the checkpoint and says so, and mpirun then exits with its own 1, not the 130
/// of one process. SIGTERM to the ranks themselves: the same stop, and mpirun exits with their 130.
/// </summary>
public sealed class MpiInterruptTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task CtrlCOfMpirunSavesTheCheckpointAndMpirunExitsWithOne()
    {
        // mpirun sends SIGTERM odls_base_sigkill_timeout seconds after the Ctrl-C and SIGKILL about as
        // long after that; at its default of 1 s a loaded machine's rank 0 had not always printed its
        // line in time, at 5 it had (15 lost the checkpoint: the README says so).
        using var job = Start(sigkillTimeout: 5);
        await job.UntilACheckpoint();
        job.Signal("-INT", job.Process.Id);
        await job.AssertInterrupted(expectedExitCode: 1);
    }

    [Fact]
    public async Task SigtermToTheRanksSavesTheCheckpointAndMpirunPassesOnTheirExitCode()
    {
        // What Slurm's scancel does, and the README's way to stop a run under mpirun: the ranks
        // stop together at once, no timer of mpirun's runs, and mpirun exits with their 130.
        using var job = Start(sigkillTimeout: 1);
        await job.UntilACheckpoint();
        var ranks = ChildrenOf(job.Process.Id);
        Assert.True(ranks.Length == 2, $"mpirun {job.Process.Id} has {ranks.Length} child processes, expected its 2 ranks");
        job.Signal("-TERM", ranks);
        await job.AssertInterrupted(expectedExitCode: ExitCodes.Interrupted);
    }

    private Job Start(int sigkillTimeout)
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
        info.Environment["OMPI_MCA_odls_base_sigkill_timeout"] = sigkillTimeout.ToString(CultureInfo.InvariantCulture);
        return new Job(Process.Start(info)!, checkpoint);
    }

    // The processes whose parent is pid, from /proc (field 4 of /proc/PID/stat, after the name in parentheses).
    private static int[] ChildrenOf(int pid) =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsAsciiDigit)).Select(d =>
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{d}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return int.Parse(fields[1], CultureInfo.InvariantCulture) == pid ? int.Parse(d!, CultureInfo.InvariantCulture) : -1;
            }
            catch (IOException)
            {
                return -1; // the process ended while we looked
            }
        }).Where(p => p > 0).ToArray();

    private sealed class Job(Process process, string checkpoint) : IDisposable
    {
        private readonly Task<string> _stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        private readonly Task<string> _stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);

        public Process Process { get; } = process;

        public async Task UntilACheckpoint()
        {
            var limit = Stopwatch.StartNew();
            while (!File.Exists(checkpoint))
            {
                if (Process.HasExited) Assert.Fail($"mpirun exited with {Process.ExitCode} before a checkpoint: {await _stderr}");
                if (limit.Elapsed > MpiJob.HangLimit) { Process.Kill(true); Assert.Fail("no checkpoint appeared in time"); }
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }
            await Task.Delay(TestRandom.Create().Next(50, 400), TestContext.Current.CancellationToken);
        }

        public void Signal(string signal, params int[] pids)
        {
            using var kill = Process.Start("kill", [signal, .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))]);
            kill.WaitForExit();
        }

        // Rank 0 said where it stopped, and the checkpoint is that step's.
        public async Task AssertInterrupted(int expectedExitCode)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            wait.CancelAfter(MpiJob.HangLimit);
            await Process.WaitForExitAsync(wait.Token);
            Assert.True(Process.ExitCode == expectedExitCode, $"mpirun exited with {Process.ExitCode}, expected {expectedExitCode}; stderr: {await _stderr}");
            var output = await _stdout;
            var match = System.Text.RegularExpressions.Regex.Match(output, @"interrupted at step (\d+): saved (.+); continue with: gpurnn train --resume");
            Assert.True(match.Success, output);
            Assert.Equal(long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), GpuRnn.IO.Checkpoint.Load(checkpoint).Step);
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(true);
            Process.Dispose();
        }
    }
}
