using GpuRnn.Cpu;
using GpuRnn.Tests.Tasks;
using GpuRnn.Tests.Training;
using Xunit;

namespace GpuRnn.Tests.Compatibility;

/// <summary>
/// Checkpoints written by earlier code (<see cref="CheckpointFixture"/>) still load: the model's
/// state_dict is the file's tensors under the file's names, in the file's order, bit for bit; the
/// loaded model computes the recorded outputs bit for bit; and a trainer restored from the file
/// captures the same state again (parameters, optimizer state, carried state, dropout stream).
/// </summary>
public class CheckpointFixtureTests
{
    private static readonly CpuBackend Cpu = new();

    public static TheoryData<string> CharModels => [.. CheckpointFixture.CharModels];

    public static TheoryData<string> Tasks => [.. CheckpointFixture.Tasks];

    [Theory]
    [MemberData(nameof(CharModels))]
    public void ACharacterModelCheckpointLoadsAndComputesTheRecordedOutputs(string name)
    {
        var (path, expected) = Files(name);
        var (loaded, snapshot) = Checkpoint.LoadModel(path, Cpu);
        using (loaded)
        {
            var model = Assert.IsType<CharRnnModel>(loaded);
            AssertSame(snapshot.Parameters, model.StateDict(), name);
            AssertSame(Ordered(expected), Ordered(CheckpointFixture.Outputs(model)), name);
        }
    }

    [Theory]
    [MemberData(nameof(CharModels))]
    public void ACharacterModelTrainerResumesFromTheCheckpointWithTheSameState(string name)
    {
        var (path, _) = Files(name);
        var snapshot = Checkpoint.Load(path);
        var corpus = TrainingFixtures.SmallCorpus(snapshot.Options.Seed, 200);
        using var run = TrainingFixtures.Create(Cpu, corpus, CharLmTask.Architecture(snapshot.Spec), snapshot.Optimizer, snapshot.Schedule, snapshot.Options);
        run.Trainer.Restore(snapshot);
        var again = run.Trainer.Capture();
        AssertSame(snapshot.Parameters, again.Parameters, name);
        AssertSame(snapshot.OptimizerState, again.OptimizerState, name);
        AssertSame(snapshot.State, again.State, name);
        Assert.Equal((snapshot.Step, snapshot.OptimizerStep, snapshot.DropoutSeed, snapshot.DropoutCounter),
            (again.Step, again.OptimizerStep, again.DropoutSeed, again.DropoutCounter));
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void ATaskCheckpointLoadsAndComputesTheRecordedOutputs(string name)
    {
        var (path, expected) = Files(name);
        var (model, snapshot) = Checkpoint.LoadModel(path, Cpu);
        using (model)
        {
            AssertSame(snapshot.Parameters, model.StateDict(), name);
            AssertSame(Ordered(expected), Ordered(CheckpointFixture.Outputs(model)), name);
        }
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void ATaskTrainerResumesFromTheCheckpointWithTheSameState(string name)
    {
        var (path, _) = Files(name);
        var snapshot = Checkpoint.Load(path);
        using var model = TaskModels.Create(Cpu, snapshot.Spec, snapshot.Options.Seed);
        var examples = TaskFixtures.Examples(new Random((int)snapshot.Options.Seed), snapshot.Spec, 8, 5);
        using var trainer = new Trainer(model, new FixedTaskData("fixture", examples, examples, snapshot.Options.Seed),
            snapshot.Optimizer, snapshot.Schedule, snapshot.Options);
        trainer.Restore(snapshot);
        var again = trainer.Capture();
        AssertSame(snapshot.Parameters, again.Parameters, name);
        AssertSame(snapshot.OptimizerState, again.OptimizerState, name);
        Assert.Equal((snapshot.Step, snapshot.OptimizerStep, snapshot.DropoutSeed, snapshot.DropoutCounter),
            (again.Step, again.OptimizerStep, again.DropoutSeed, again.DropoutCounter));
    }

    private static (string Path, IEnumerable<KeyValuePair<string, HostTensor>> Expected) Files(string name)
    {
        var path = Path.Combine(CheckpointFixture.Folder, name + ".safetensors");
        // A missing file must fail, never pass by loading nothing.
        Assert.True(File.Exists(path), $"fixture {path} is missing");
        return (path, SafeTensors.Read(Path.Combine(CheckpointFixture.Folder, name + ".expected.safetensors")).Tensors);
    }

    private static List<KeyValuePair<string, HostTensor>> Ordered(IEnumerable<KeyValuePair<string, HostTensor>> tensors) =>
        [.. tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal)];

    private static void AssertSame(IReadOnlyList<KeyValuePair<string, HostTensor>> expected, IReadOnlyList<KeyValuePair<string, HostTensor>> actual, string fixture)
    {
        Assert.Equal(expected.Select(kv => kv.Key), actual.Select(kv => kv.Key));
        for (var i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i].Value, actual[i].Value);
            Assert.Equal(e.Shape, a.Shape);
            Assert.Equal(e.DType, a.DType);
            Assert.True(e.ConvertTo(DType.Float64).AsFloat64().AsSpan().SequenceEqual(a.ConvertTo(DType.Float64).AsFloat64()),
                $"{fixture}: tensor '{expected[i].Key}' differs from the recorded one");
        }
    }
}
