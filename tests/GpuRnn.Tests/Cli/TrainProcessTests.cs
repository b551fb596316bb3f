using System.Diagnostics;
using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// <c>gpurnn train</c> as a separate process, stopped by a signal at a random moment: Ctrl-C
/// (SIGINT) saves a checkpoint and exits cleanly; a hard kill never leaves a partial checkpoint
/// under the final name.
/// </summary>
public sealed class TrainProcessTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private Process Start(string checkpoint)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) Assert.Skip("sends POSIX signals");
        var data = _folder.File("text.txt");
        File.WriteAllText(data, ArithmeticCorpus.Generate(3, 2000));
        var info = new ProcessStartInfo(DotnetHost.FindOrSkip())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gpurnn.dll"));
        foreach (var a in (string[])["train", "--data", data, "--steps", "1000000", "--checkpoint-every", "1", "--eval-every", "0",
                     "--hidden", "48", "--embedding", "8", "--batch", "4", "--seq", "16", "--backend", "cpu", "--out", checkpoint])
            info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    /// <summary>Waits (bounded, so a broken build fails rather than hangs) until the first checkpoint exists.</summary>
    private static void WaitForCheckpoint(Process process, string checkpoint)
    {
        var limit = Stopwatch.StartNew();
        while (!File.Exists(checkpoint))
        {
            if (process.HasExited) Assert.Fail($"gpurnn exited with {process.ExitCode} before writing a checkpoint: {process.StandardError.ReadToEnd()}");
            if (limit.Elapsed > TimeSpan.FromMinutes(2)) { process.Kill(true); Assert.Fail("no checkpoint appeared within two minutes"); }
            Thread.Sleep(20);
        }
    }

    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    [Fact]
    public async Task CtrlCSavesACheckpointAndExitsCleanly()
    {
        var checkpoint = _folder.File("model.safetensors");
        using var process = Start(checkpoint);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        WaitForCheckpoint(process, checkpoint);
        await Task.Delay(TestRandom.Create().Next(50, 400), TestContext.Current.CancellationToken);
        Signal(process, "INT");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(limit.Token);

        Assert.Equal(ExitCodes.Interrupted, process.ExitCode);
        Assert.Equal("", await stderr);
        var output = await stdout;
        var match = System.Text.RegularExpressions.Regex.Match(output, @"interrupted at step (\d+): saved (.+); continue with: gpurnn train --resume");
        Assert.True(match.Success, output);
        Assert.Equal(long.Parse(match.Groups[1].Value), GpuRnn.IO.Checkpoint.Load(checkpoint).Step);
    }

    [Fact]
    public void AHardKillAtAnyMomentLeavesTheLastCompleteCheckpoint()
    {
        var rng = TestRandom.Create();
        for (var round = 0; round < 3; round++)
        {
            var checkpoint = _folder.File($"kill{round}.safetensors");
            using var process = Start(checkpoint);
            WaitForCheckpoint(process, checkpoint);
            Thread.Sleep(rng.Next(0, 300));
            Signal(process, "KILL");
            process.WaitForExit();
            // Checkpoints are written every step: whatever moment the kill hit, the file under the
            // final name is a complete one.
            var snapshot = GpuRnn.IO.Checkpoint.Load(checkpoint);
            Assert.True(snapshot.Step >= 1);
        }
    }
}
