using GpuRnn.Cpu;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Training;

public class CheckpointTests
{
    private static readonly CpuBackend Cpu = new();

    private static TaskSnapshot TrainedSnapshot(OptimizerKind kind, RnnCellKind cell, int steps = 3)
    {
        var rng = TestRandom.Create();
        var corpus = TrainingFixtures.SmallCorpus((ulong)rng.Next(), 200);
        var spec = new CharModelSpec(cell, corpus.Vocabulary.Count, 5, 7, 2, Dropout: 0.1);
        var options = new TrainingOptions(4, 6, steps, EvalEvery: 0, Seed: (ulong)rng.Next());
        using var run = TrainingFixtures.Create(Cpu, corpus, spec, new OptimizerConfig(kind, Momentum: kind == OptimizerKind.Adam ? 0 : 0.9),
            new LearningRateSchedule(0.01, ScheduleKind.Step, StepSize: 2), options);
        run.Trainer.Run(null, TestContext.Current.CancellationToken);
        return run.Trainer.Capture();
    }

    [Theory]
    [InlineData(OptimizerKind.Adam, RnnCellKind.Lstm)]
    [InlineData(OptimizerKind.Sgd, RnnCellKind.Gru)]
    [InlineData(OptimizerKind.RmsProp, RnnCellKind.RnnTanh)]
    public void ACheckpointRoundTripsExactly(OptimizerKind kind, RnnCellKind cell)
    {
        var saved = TrainedSnapshot(kind, cell);
        using var folder = new TempFolder();
        var path = folder.File("model.safetensors");
        Checkpoint.Save(path, saved);
        var loaded = Checkpoint.Load(path);

        Assert.Equal(saved.Spec.ToJson(), loaded.Spec.ToJson());
        Assert.True(CharLmTask.Characters(saved.Spec).SameAs(CharLmTask.Characters(loaded.Spec)));
        Assert.Equal(saved.Optimizer.Normalized, loaded.Optimizer);
        Assert.Equal(saved.Schedule, loaded.Schedule);
        Assert.Equal(saved.Options, loaded.Options);
        Assert.Equal((saved.Step, saved.OptimizerStep, saved.DropoutSeed, saved.DropoutCounter, saved.DataName),
            (loaded.Step, loaded.OptimizerStep, loaded.DropoutSeed, loaded.DropoutCounter, loaded.DataName));
        AssertSameTensors(saved.Parameters, loaded.Parameters);
        AssertSameTensors(saved.OptimizerState, loaded.OptimizerState);
        AssertSameTensors(saved.State, loaded.State);
        Assert.Equal(cell == RnnCellKind.Lstm ? ["train.hidden", "train.cell"] : ["train.hidden"], loaded.State.Select(kv => kv.Key));
        // The RNN stack's tensors carry PyTorch's names under the module name 'rnn'.
        Assert.Contains(loaded.Parameters, kv => kv.Key == "rnn.weight_hh_l1");
    }

    private static void AssertSameTensors(IReadOnlyList<KeyValuePair<string, HostTensor>> expected, IReadOnlyList<KeyValuePair<string, HostTensor>> actual)
    {
        Assert.Equal(expected.Select(kv => kv.Key), actual.Select(kv => kv.Key));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Value.Shape, actual[i].Value.Shape);
            Assert.True(expected[i].Value.AsFloat32().AsSpan().SequenceEqual(actual[i].Value.AsFloat32()), $"{expected[i].Key} changed in the round trip");
        }
    }

    [Fact]
    public void AWriteThatFailsPartWayLeavesThePreviousCheckpointIntactAndNoOtherFile()
    {
        var good = TrainedSnapshot(OptimizerKind.Adam, RnnCellKind.Lstm);
        using var folder = new TempFolder();
        var path = folder.File("model.safetensors");
        Checkpoint.Save(path, good);
        var before = File.ReadAllBytes(path);
        // A null metadata value makes the writer fail after it has opened its temporary file.
        var broken = TrainedSnapshot(OptimizerKind.Adam, RnnCellKind.Lstm, steps: 4) with { DataName = null! };
        Assert.ThrowsAny<ArgumentException>(() => Checkpoint.Save(path, broken));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void TruncatedAndForeignFilesAreRefusedWithTheReason()
    {
        var saved = TrainedSnapshot(OptimizerKind.Adam, RnnCellKind.Lstm);
        using var folder = new TempFolder();
        var path = folder.File("model.safetensors");
        Checkpoint.Save(path, saved);
        var bytes = File.ReadAllBytes(path);
        var cut = TestRandom.Create().Next(9, bytes.Length - 1);
        var truncated = folder.File("truncated.safetensors");
        File.WriteAllBytes(truncated, bytes[..cut]);
        var e = Assert.ThrowsAny<Exception>(() => Checkpoint.Load(truncated));
        Assert.True(e is InvalidDataException or EndOfStreamException, $"cut at {cut}: {e.GetType().Name}: {e.Message}");

        var plain = folder.File("plain.safetensors");
        SafeTensors.Write(plain, [new("weight_ih_l0", HostTensor.Zeros(new Shape(4, 3), DType.Float32))]);
        Assert.Contains("is not a GpuRnn training checkpoint", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(plain)).Message);
    }
}
