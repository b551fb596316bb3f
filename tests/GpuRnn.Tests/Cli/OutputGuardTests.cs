using System.Diagnostics;
using System.Security.Cryptography;
using GpuRnn.Cli;
using GpuRnn.Cli.Commands;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// No output is ever an input (the same path, a symbolic link to it, a hard link, a file the run
/// writes into its folder), and an output being written by one run is refused by a second: each
/// refused before any work with one line, the user's file unchanged to the byte.
/// </summary>
public sealed class OutputGuardTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Text(string name)
    {
        var path = _folder.File(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, ArithmeticCorpus.Generate((ulong)TestRandom.Create().Next(), 300));
        return path;
    }

    private static string Refused(int exitCode, byte[] before, string file, params string[] args)
    {
        var line = Gpurnn.Run(args).AssertFailed(exitCode);
        Assert.Equal(before, File.ReadAllBytes(file));
        return line;
    }

    private static string[] Train(params string[] args) => ["train", .. args, "--steps", "2", .. TrainCommandTests.Tiny];

    [Fact]
    public void TrainingOutToItsOwnDataIsRefused()
    {
        var data = Text("c.txt");
        var line = Refused(ExitCodes.Usage, File.ReadAllBytes(data), data, Train("--data", data, "--out", data));
        Assert.Contains($"--out {data} is the same file as --data {data}", line);
    }

    [Fact]
    public void AHardLinkToTheDataIsTheSameFile()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) Assert.Skip("makes a hard link with ln");
        var data = Text("c.txt");
        var link = _folder.File("other-name.txt");
        using (var ln = Process.Start("ln", [data, link])) ln.WaitForExit();
        Assert.True(File.Exists(link));
        var line = Refused(ExitCodes.Usage, File.ReadAllBytes(data), data, Train("--data", data, "--out", link));
        Assert.Contains($"--out {link} is the same file as --data {data} (a hard link to it)", line);
    }

    [Fact]
    public void ADataFileNamedLikeTheMetricsFileOfTheRunFolderIsRefusedAlsoThroughALinkedFolder()
    {
        var data = Text("real/metrics.csv");
        var linked = _folder.File("linked");
        Directory.CreateSymbolicLink(linked, _folder.File("real"));
        var before = File.ReadAllBytes(data);
        // The checkpoint does not exist yet; its folder is a link to the data's folder.
        var line = Refused(ExitCodes.Usage, before, data, Train("--data", data, "--out", Path.Combine(linked, "model.safetensors")));
        Assert.Contains($"the run's metrics file {Path.Combine(linked, "metrics.csv")} is the same file as --data {data}", line);
        Assert.False(File.Exists(_folder.File("real/model.safetensors")));

        var plot = Text("plots/loss.png");
        Refused(ExitCodes.Usage, File.ReadAllBytes(plot), plot, Train("--data", plot, "--out", _folder.File("plots/model.safetensors")));
    }

    [Fact]
    public void ACheckpointNamedLikeTheMetricsFileIsRefused()
    {
        var out_ = _folder.File("run/metrics.csv");
        var line = Gpurnn.Run(Train("--out", out_)).AssertFailed(ExitCodes.Usage);
        Assert.Contains($"the run's metrics file {out_} is the same file as --out {out_}", line);
        Assert.False(File.Exists(out_));
    }

    [Fact]
    public void RunRefusesAnOutputThatIsItsModelOrItsInputAlsoThroughASymbolicLink()
    {
        var rng = TestRandom.Create();
        var model = _folder.File("model.safetensors");
        var input = _folder.File("input.safetensors");
        File.WriteAllBytes(model, RandomNumberGenerator.GetBytes(rng.Next(64, 256)));
        File.WriteAllBytes(input, RandomNumberGenerator.GetBytes(rng.Next(64, 256)));
        var link = _folder.File("y.safetensors");
        File.CreateSymbolicLink(link, input);

        var line = Refused(ExitCodes.Usage, File.ReadAllBytes(model), model, "run", "--model", model, "--input", input, "--output", model, "--backend", "cpu");
        Assert.Contains($"--output {model} is the same file as --model {model}", line);
        line = Refused(ExitCodes.Usage, File.ReadAllBytes(input), input, "run", "--model", model, "--input", input, "--output", link, "--backend", "cpu");
        Assert.Contains($"--output {link} is the same file as --input {input} (both are ", line);
    }

    [Fact]
    public async Task ASecondRunWritingTheSameCheckpointRefusesAtOnceNamingIt()
    {
        var data = Text("c.txt");
        var checkpoint = _folder.File("run/model.safetensors");
        using var stop = new CancellationTokenSource();
        using var firstOut = new StringWriter();
        using var firstError = new StringWriter();
        var first = Task.Run(() => TrainCommand.Execute(new CliConsole(firstOut, firstError), new TrainRequest
        {
            Data = data, Out = checkpoint, Steps = 1_000_000, Backend = "cpu", Hidden = 8, Embedding = 4, Batch = 4, Seq = 8,
            EvalEvery = 0, SampleLength = 0,
        }, stop.Token), TestContext.Current.CancellationToken);
        try
        {
            // Bounded, so that a broken build fails rather than hangs.
            var limit = Stopwatch.StartNew();
            while (!File.Exists(checkpoint + ".lock") || !File.Exists(_folder.File("run/metrics.csv")))
            {
                Assert.False(first.IsCompleted, $"the first run ended first: {firstError}");
                Assert.True(limit.Elapsed < TimeSpan.FromMinutes(2), "the first run took no lock within two minutes");
                Thread.Sleep(10);
            }
            var line = Gpurnn.Run(Train("--data", data, "--out", checkpoint)).AssertFailed(ExitCodes.BadInput);
            Assert.Contains($"--out {checkpoint} is being written by another gpurnn run (its lock {checkpoint}.lock is held)", line);
            // Another checkpoint in the same folder would share its metrics file.
            line = Gpurnn.Run(Train("--data", data, "--out", _folder.File("run/other.safetensors"))).AssertFailed(ExitCodes.BadInput);
            Assert.Contains($"the run's metrics file {_folder.File("run/metrics.csv")} is being written by another gpurnn run", line);
            Assert.False(File.Exists(_folder.File("run/other.safetensors.lock")), "a refused run leaves no lock file");
        }
        finally
        {
            stop.Cancel();
        }
        Assert.Equal(ExitCodes.Interrupted, await first);
        var saved = GpuRnn.IO.Checkpoint.Load(checkpoint).Step;
        Assert.False(File.Exists(checkpoint + ".lock"), "the lock file is removed when the run ends");
        Gpurnn.Run(["train", "--data", data, "--resume", checkpoint, "--steps", (saved + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. TrainCommandTests.Tiny]).AssertSucceeded();
    }

    [Fact]
    public void ALockFileLeftByAKilledRunDoesNotStopTheNextOne()
    {
        var data = Text("c.txt");
        var checkpoint = _folder.File("run/model.safetensors");
        Directory.CreateDirectory(_folder.File("run"));
        // What a killed run leaves: the lock files, no longer held by any process.
        File.WriteAllBytes(checkpoint + ".lock", []);
        File.WriteAllBytes(_folder.File("run/metrics.csv.lock"), []);
        Gpurnn.Run(Train("--data", data, "--out", checkpoint)).AssertSucceeded();
        Assert.Equal(2, GpuRnn.IO.Checkpoint.Load(checkpoint).Step);
        Assert.Equal(["loss.png", "metrics.csv", "model.safetensors"], Directory.GetFiles(_folder.File("run")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
