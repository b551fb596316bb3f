using System.Text.Json;
using GpuRnn.Benchmarking;
using GpuRnn.Tests.Cli;
using Xunit;

namespace GpuRnn.Tests.Bench;

public class BenchTests
{
    [Fact]
    public void NamedConfigurationsAreTheIssuesTable()
    {
        var byName = BenchConfig.Named.ToDictionary(c => c.Name);
        Assert.Equal(new BenchConfig("lstm-med", RnnCellKind.Lstm, 512, 512, 64, 50), byName["lstm-med"]);
        Assert.Equal(new BenchConfig("gru-med", RnnCellKind.Gru, 512, 512, 64, 50), byName["gru-med"]);
        Assert.Equal(new BenchConfig("lstm-small", RnnCellKind.Lstm, 128, 256, 32, 100), byName["lstm-small"]);
        Assert.Equal(new BenchConfig("lstm-b1", RnnCellKind.Lstm, 256, 256, 1, 200), byName["lstm-b1"]);
        Assert.Equal(new BenchConfig("lstm-1024-b64", RnnCellKind.Lstm, 1024, 1024, 64, 50), byName["lstm-1024-b64"]);
        Assert.Equal(new BenchConfig("lstm-512-b1", RnnCellKind.Lstm, 512, 512, 1, 100), byName["lstm-512-b1"]);
    }

    [Fact]
    public void LayerNormVariantIsLstmMedWithLayerNormAndNotADefault()
    {
        var ln = BenchConfig.Parse("lstm-med-ln");
        var plain = BenchConfig.Parse("lstm-med");
        Assert.True(ln.Spec.LayerNorm);
        Assert.False(plain.Spec.LayerNorm);
        Assert.Equal(plain with { Name = "lstm-med-ln", LayerNorm = true }, ln);
        Assert.Equal(plain.ForwardFlops, ln.ForwardFlops);
        Assert.DoesNotContain(BenchConfig.Named, c => c.LayerNorm);
    }

    [Fact]
    public void ForwardFlopsCountTheInputAndRecurrentProducts()
    {
        var rng = TestRandom.Create();
        int i = rng.Next(1, 300), h = rng.Next(1, 300), b = rng.Next(1, 40), t = rng.Next(1, 60);
        var c = BenchConfig.Parse($"gru:{i}:{h}:{b}:{t}");
        // Per step and sequence: [1, I] x [I, 3H] and [1, H] x [H, 3H], two FLOPs per multiply-add.
        double perStep = 2.0 * (i * 3 * h) + 2.0 * (h * 3 * h);
        Assert.Equal(perStep * b * t, c.ForwardFlops, 6);
        Assert.Equal(3 * c.ForwardFlops, c.TrainingFlops, 6);
    }

    [Theory]
    [InlineData("lstm:1:2:3", "unknown bench configuration 'lstm:1:2:3'")]
    [InlineData("lstm:0:2:3:4", "I must be a positive integer, got '0'")]
    [InlineData("lstm:8:x:3:4", "H must be a positive integer, got 'x'")]
    [InlineData("cnn:8:8:3:4", "unknown cell 'cnn'")]
    public void BadConfigurationsAreRefusedWithTheReason(string text, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => BenchConfig.Parse(text));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void MedianOfAnEvenCountIsTheMeanOfTheMiddleTwo()
    {
        var row = BenchRow.FromTimes("c", "cpu", BenchPass.Forward, [4.0, 1.0, 3.0, 2.0], flops: 5e6);
        Assert.Equal(2.5, row.MedianMs);
        Assert.Equal(1.0, row.MinMs);
        Assert.Equal(4.0, row.MaxMs);
        Assert.Equal(2.0, row.Gflops, 9);
    }

    [Fact]
    public void BenchCommandWritesOneJsonRowPerConfigPassAndBackend()
    {
        var json = Path.Combine(Path.GetTempPath(), $"gpurnn-bench-{Guid.NewGuid():N}.json");
        try
        {
            var result = Gpurnn.Run("bench", "--backend", "cpu", "--configs", "lstm:6:8:2:3,gru:5:4:1:2", "--reps", "2", "--warmup", "0", "--warmup-time", "0", "--json", json);
            result.AssertSucceeded();
            Assert.Contains("backend: cpu", result.Out);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var rows = doc.RootElement.EnumerateArray().ToList();
            Assert.Equal(4, rows.Count);
            Assert.Equal(["fwd", "fwd+bwd", "fwd", "fwd+bwd"], rows.Select(r => r.GetProperty("pass").GetString()));
            foreach (var r in rows)
            {
                Assert.Equal("cpu", r.GetProperty("impl").GetString());
                var min = r.GetProperty("min_ms").GetDouble();
                var median = r.GetProperty("median_ms").GetDouble();
                Assert.True(min > 0 && min <= median && median <= r.GetProperty("max_ms").GetDouble());
                Assert.True(r.GetProperty("gflops").GetDouble() > 0);
            }
        }
        finally { File.Delete(json); }
    }

    [Theory]
    [InlineData(new[] { "bench", "--configs", "lstm-huge" }, 2, "unknown bench configuration 'lstm-huge'")]
    [InlineData(new[] { "bench", "--threads", "-1" }, 2, "--threads must be zero (all cores) or positive, got -1")]
    [InlineData(new[] { "bench", "--backend", "tpu", "--configs", "lstm:2:2:1:1" }, 4, "unknown backend 'tpu'")]
    [InlineData(new[] { "bench", "--reps", "0" }, 2, "--reps must be positive, got 0")]
    [InlineData(new[] { "bench", "--warmup-time", "-0.5" }, 2, "--warmup-time must be zero or more seconds, got -0.5")]
    public void BadBenchArgumentsGiveOneLineAndAnExitCode(string[] args, int exitCode, string message)
    {
        Assert.Contains(message, Gpurnn.Run(args).AssertFailed(exitCode));
    }

    [Fact]
    public void AWarmUpLongerThanItsCountStillReportsOneProgressTickPerCountedRepetition()
    {
        // 0.2 s of warm-up is many repetitions of this tiny configuration; the progress bar was sized
        // for the counted ones (warm-up count + timed), so exactly that many ticks must arrive.
        using var backend = new GpuRnn.Cpu.CpuBackend(1);
        var runner = new BenchRunner(warmup: 1, repetitions: 3, warmupSeconds: 0.2);
        var ticks = 0;
        var row = runner.Run(backend, BenchConfig.Parse("gru:3:4:2:3"), BenchPass.ForwardBackward, onRepetition: () => ticks++);
        Assert.Equal(4, ticks);
        Assert.Equal("gru:3:4:2:3", row.Config);
        Assert.True(row.MinMs > 0);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void AWarmUpTimeThatIsNotAFiniteNonNegativeNumberIsRefused(double seconds)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new BenchRunner(2, 7, seconds));
        Assert.Contains("warm-up time must be zero or more seconds", e.Message);
    }
}
