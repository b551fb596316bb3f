using System.Text.RegularExpressions;
using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary><c>gpurnn train</c>, <c>sample</c> and <c>eval</c> run in-process on tiny models.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A tiny model trained for a few steps: seconds on the CPU backend.</summary>
    public static readonly string[] Tiny =
        ["--backend", "cpu", "--hidden", "8", "--embedding", "4", "--batch", "4", "--seq", "8", "--sample-length", "20"];

    private string TextFile(int statements = 300)
    {
        var path = _folder.File("text.txt");
        File.WriteAllText(path, ArithmeticCorpus.Generate(11, statements));
        return path;
    }

    [Fact]
    public void TrainingOnAFileReportsProgressAndWritesCheckpointMetricsAndPlot()
    {
        var data = TextFile();
        var checkpoint = _folder.File("run/model.safetensors");
        var result = Gpurnn.Run(["train", "--data", data, "--steps", "6", "--eval-every", "3", "--out", checkpoint, .. Tiny]);
        result.AssertSucceeded();
        Assert.Contains("backend: cpu", result.Out);
        Assert.Contains("step 6/6  loss ", result.Out);
        Assert.Contains(" chars/s  ETA ", result.Out);
        Assert.Contains("validation at step 3: loss ", result.Out);
        Assert.Matches(new Regex(@"validation: loss \d+\.\d{4} nats, \d+\.\d{3} bits/char, accuracy \d+\.\d%"), result.Out);
        Assert.Contains("sample (temperature 0.8):", result.Out);

        var snapshot = GpuRnn.IO.Checkpoint.Load(checkpoint);
        Assert.Equal(6, snapshot.Step);
        Assert.Equal(8, snapshot.Spec.HiddenSize);
        var metrics = File.ReadAllLines(_folder.File("run/metrics.csv"));
        Assert.Equal("step,train_loss,learning_rate,grad_norm,chars_per_second,val_loss,val_bpc,val_accuracy", metrics[0]);
        Assert.Equal(7, metrics.Length);
        Assert.Equal(["1", "2", "3", "4", "5", "6"], metrics[1..].Select(l => l.Split(',')[0]));
        Assert.NotEqual("", metrics[3].Split(',')[5]);
        Assert.Equal("", metrics[2].Split(',')[5]);
        var png = File.ReadAllBytes(_folder.File("run/loss.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    [Fact]
    public void WithoutDataItTrainsOnTheBuiltInCorpusAndChecksItsArithmetic()
    {
        var checkpoint = _folder.File("model.safetensors");
        var result = Gpurnn.Run(["train", "--steps", "2", "--eval-every", "0", "--out", checkpoint, .. Tiny]);
        result.AssertSucceeded();
        Assert.Contains("data: built-in arithmetic corpus", result.Out);
        Assert.Matches(new Regex(@"arithmetic check: \d+ of 100 new statements completed correctly"), result.Out);
        Assert.Equal(ArithmeticCorpus.Name, GpuRnn.IO.Checkpoint.Load(checkpoint).DataName);
    }

    [Fact]
    public void ResumingHalfwayGivesBitwiseTheSameCheckpointAsTrainingStraight()
    {
        var data = TextFile(600);
        string[] model = ["--layers", "2", "--dropout", "0.1", "--optimizer", "adamw", "--warmup", "2", "--eval-every", "3"];
        var straight = _folder.File("straight.safetensors");
        var half = _folder.File("half.safetensors");
        Gpurnn.Run(["train", "--data", data, "--steps", "10", "--out", straight, .. Tiny, .. model]).AssertSucceeded();
        Gpurnn.Run(["train", "--data", data, "--steps", "5", "--out", half, .. Tiny, .. model]).AssertSucceeded();
        var resumed = Gpurnn.Run(["train", "--data", data, "--resume", half, "--steps", "10", "--backend", "cpu", "--sample-length", "0"]);
        resumed.AssertSucceeded();
        Assert.Contains("resuming from", resumed.Out);

        var a = GpuRnn.IO.Checkpoint.Load(straight);
        var b = GpuRnn.IO.Checkpoint.Load(half);
        Assert.Equal(10, b.Step);
        foreach (var (name, tensor) in a.Parameters)
        {
            var other = b.Parameters.Single(kv => kv.Key == name).Value;
            Assert.True(tensor.AsFloat32().AsSpan().SequenceEqual(other.AsFloat32()), $"{name} differs after resuming");
        }
        // The resumed run's metrics continue the first half's.
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i.ToString()), File.ReadAllLines(_folder.File("metrics.csv"))[1..].Select(l => l.Split(',')[0]));
    }

    [Fact]
    public void EpochsCountPassesOverTheTrainingText()
    {
        var data = TextFile();
        var checkpoint = _folder.File("model.safetensors");
        Gpurnn.Run(["train", "--data", data, "--epochs", "2", "--eval-every", "0", "--out", checkpoint, .. Tiny]).AssertSucceeded();
        var train = TextCorpus.Load(data).Train.Length;
        // batch 4 streams of (train - 1) / 4 characters, read 8 at a time.
        Assert.Equal(2 * ((train - 1) / 4 / 8), GpuRnn.IO.Checkpoint.Load(checkpoint).Step);
        Assert.Contains("give --steps or --epochs, not both",
            Gpurnn.Run(["train", "--data", data, "--epochs", "1", "--steps", "5", "--out", checkpoint, .. Tiny]).AssertFailed(ExitCodes.Usage));
    }

    [Fact]
    public void SampleAndEvalUseTheCheckpoint()
    {
        var data = TextFile();
        var checkpoint = _folder.File("model.safetensors");
        Gpurnn.Run(["train", "--data", data, "--steps", "3", "--out", checkpoint, .. Tiny]).AssertSucceeded();

        var sample = Gpurnn.Run("sample", "--model", checkpoint, "--prime", "12+", "--length", "15", "--top-k", "3", "--seed", "4", "--backend", "cpu");
        sample.AssertSucceeded();
        Assert.Contains("\n12+", sample.Out);
        Assert.Equal(sample.Out, Gpurnn.Run("sample", "--model", checkpoint, "--prime", "12+", "--length", "15", "--top-k", "3", "--seed", "4", "--backend", "cpu").Out);
        var beam = Gpurnn.Run("sample", "--model", checkpoint, "--prime", "7+", "--length", "4", "--beam", "3", "--backend", "cpu");
        beam.AssertSucceeded();
        Assert.Matches(new Regex(@"\(beam 3: log-probability -\d+\.\d{3}, \d+\.\d{3} bits/char\)"), beam.Out);

        var eval = Gpurnn.Run("eval", "--model", checkpoint, "--data", data, "--backend", "cpu");
        eval.AssertSucceeded();
        Assert.Matches(new Regex(@"evaluated [\d,]+ characters of .*: loss \d+\.\d{4} nats, \d+\.\d{3} bits/char, accuracy \d+\.\d%"), eval.Out);
    }

    [Fact]
    public void ALossThatBecomesNonFiniteStopsWithExitCodeFiveAndKeepsTheLastGoodCheckpoint()
    {
        var data = TextFile();
        var checkpoint = _folder.File("model.safetensors");
        var result = Gpurnn.Run(["train", "--data", data, "--steps", "200", "--cell", "rnn_relu", "--optimizer", "sgd", "--lr", "1e18",
            "--clip", "0", "--checkpoint-every", "1", "--out", checkpoint, .. Tiny]);
        var line = result.AssertFailed(ExitCodes.Diverged);
        Assert.Matches(new Regex(@"became (NaN|infinite|-infinite) (at|in the update of) step \d+; training stopped"), line);
        var m = Regex.Match(line, @"the last good checkpoint \(step (\d+)\) is kept at");
        if (m.Success)
        {
            var snapshot = GpuRnn.IO.Checkpoint.Load(checkpoint);
            Assert.Equal(long.Parse(m.Groups[1].Value), snapshot.Step);
            Assert.All(snapshot.Parameters, kv => Assert.All(kv.Value.AsFloat32(), v => Assert.True(float.IsFinite(v))));
        }
        else
        {
            Assert.Contains("no checkpoint had been written yet", line);
            Assert.False(File.Exists(checkpoint));
        }
    }
}
