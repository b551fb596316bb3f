using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GpuRnn.Cli;
using GpuRnn.Cli.Commands;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// Long or diverging runs: a sample is written as it is drawn (never held whole), a beam is
/// bounded before any work, and a resumed run that diverges names the checkpoint that really
/// holds the last good state.
/// </summary>
public sealed class LongRunTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Data()
    {
        var path = _folder.File("text.txt");
        File.WriteAllText(path, ArithmeticCorpus.Generate((ulong)TestRandom.Create().Next(), 300));
        return path;
    }

    private string Checkpoint(params string[] extra)
    {
        var path = _folder.File("trained.safetensors");
        Gpurnn.Run(["train", "--data", Data(), "--steps", "2", "--out", path, .. TrainCommandTests.Tiny, .. extra]).AssertSucceeded();
        return path;
    }

    /// <summary>Stands for a reader that goes away: takes <paramref name="limit"/> characters, then every write fails as a closed pipe's does.</summary>
    private sealed class ClosingReader(int limit) : TextWriter
    {
        public int Received { get; private set; }
        public int FlushesBeforeLimit { get; private set; }
        public override Encoding Encoding => Encoding.UTF8;

        // Every Write and WriteLine of TextWriter ends here, character by character.
        public override void Write(char value)
        {
            if (Received >= limit) throw new IOException("Broken pipe");
            Received++;
        }

        public override void Flush()
        {
            if (Received < limit) FlushesBeforeLimit++;
        }
    }

    [Fact]
    public void ALongSampleIsWrittenAsItIsDrawnStopsWhenTheReaderGoesAwayAndIsTheSampledText()
    {
        var checkpoint = Checkpoint();
        const int length = 200_000;
        var reader = new ClosingReader(TestRandom.Create().Next(300, 600));
        using var error = new StringWriter();
        var code = CliErrors.Guard(new CliConsole(reader, error),
            () => SampleCommand.Execute(new CliConsole(reader, error), checkpoint, "", length, 1, 0, 0, 7, "cpu"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("Broken pipe", error.ToString());
        // It stopped at the first write that failed, long before the end, and had flushed what it wrote.
        Assert.True(reader.Received < length / 10, $"received {reader.Received} of {length} characters: the sample was held until the end");
        Assert.True(reader.FlushesBeforeLimit >= 1, "the sample was written without a flush");

        // Written piece by piece, it is still the text the sampler draws.
        var seed = (ulong)TestRandom.Create().Next();
        var result = Gpurnn.Run("sample", "--model", checkpoint, "--prime", "1", "--length", "500", "--seed", seed.ToString(CultureInfo.InvariantCulture), "--backend", "cpu");
        result.AssertSucceeded();
        var snapshot = GpuRnn.IO.Checkpoint.Load(checkpoint);
        using var backend = Backend.Create("cpu");
        var (loaded, _) = GpuRnn.IO.Checkpoint.LoadModel(checkpoint, backend);
        var model = (CharRnnModel)loaded;
        var characters = CharLmTask.Characters(snapshot.Spec);
        using (model)
        {
            var expected = "1" + characters.Decode(Sampler.GenerateIds(model, Sampler.StartIds(characters, "1"), 500, new SamplingOptions(1, 0, seed)));
            Assert.EndsWith(expected + Environment.NewLine, result.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ASampleRedirectedToAFileIsFollowedByWhatTheShellWritesThereNextNotOverwrittenByIt()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) Assert.Skip("runs a POSIX shell");
        var host = DotnetHost.FindOrSkip();
        var checkpoint = Checkpoint();
        var seed = (ulong)TestRandom.Create().Next();
        var output = _folder.File("out.txt");
        // `{ sample; echo END; } > file`: both share one file offset, which the sample must move as it
        // writes (a FileStream on the inherited descriptor writes at a position of its own, and the
        // shell's next write then lands over the text).
        var script = $"{{ '{host}' '{Path.Combine(AppContext.BaseDirectory, "gpurnn.dll")}' sample --model '{checkpoint}' --prime 1 --length 400 " +
            $"--seed {seed.ToString(CultureInfo.InvariantCulture)} --backend cpu 2>/dev/null; echo END; }} > '{output}'";
        using (var shell = System.Diagnostics.Process.Start("sh", ["-c", script]))
        {
            if (!shell.WaitForExit(TimeSpan.FromMinutes(2))) { shell.Kill(true); Assert.Fail("the sample did not finish within two minutes"); }
            Assert.Equal(0, shell.ExitCode);
        }
        var snapshot = GpuRnn.IO.Checkpoint.Load(checkpoint);
        using var backend = Backend.Create("cpu");
        var (loaded, _) = GpuRnn.IO.Checkpoint.LoadModel(checkpoint, backend);
        var model = (CharRnnModel)loaded;
        var characters = CharLmTask.Characters(snapshot.Spec);
        using (model)
        {
            var expected = "1" + characters.Decode(Sampler.GenerateIds(model, Sampler.StartIds(characters, "1"), 400, new SamplingOptions(1, 0, seed)));
            var written = File.ReadAllText(output);
            Assert.StartsWith("backend: cpu", written, StringComparison.Ordinal);
            Assert.Equal(expected + "\nEND\n", written[(written.IndexOf('\n', StringComparison.Ordinal) + 1)..]);
        }
    }

    [Fact]
    public void ABeamWiderThanTheVocabularyIsAUsageErrorNamingTheLargestWidth()
    {
        var checkpoint = Checkpoint();
        var v = GpuRnn.IO.Checkpoint.Load(checkpoint).Spec.OutputSize;
        var wider = v + 1 + TestRandom.Create().Next(0, 1000);
        var line = Gpurnn.Run("sample", "--model", checkpoint, "--length", "5", "--beam", wider.ToString(CultureInfo.InvariantCulture), "--backend", "cpu")
            .AssertFailed(ExitCodes.Usage);
        Assert.Contains($"--beam must be at most {v} (the model's vocabulary size), got {wider}", line);
        Gpurnn.Run("sample", "--model", checkpoint, "--length", "2", "--beam", v.ToString(CultureInfo.InvariantCulture), "--backend", "cpu").AssertSucceeded();
    }

    [Fact]
    public void AResumedRunThatDivergesBeforeItsFirstCheckpointNamesTheCheckpointItResumedFrom()
    {
        var resumed = Checkpoint("--cell", "rnn_relu", "--optimizer", "sgd", "--lr", "0.01");
        var before = File.ReadAllBytes(resumed);
        var target = _folder.File("continued.safetensors");
        var line = Gpurnn.Run(["train", "--data", _folder.File("text.txt"), "--resume", resumed, "--out", target, "--steps", "300", "--lr", "1e18",
            "--clip", "0", "--checkpoint-every", "0", "--eval-every", "0", .. TrainCommandTests.Tiny]).AssertFailed(ExitCodes.Diverged);
        Assert.Matches(new Regex(@"became (NaN|infinite|-infinite) (at|in the update of) step \d+; training stopped"), line);
        Assert.Contains($"the last good checkpoint (step 2) is kept at {resumed}", line);
        Assert.False(File.Exists(target));
        Assert.Equal(before, File.ReadAllBytes(resumed));
    }
}
