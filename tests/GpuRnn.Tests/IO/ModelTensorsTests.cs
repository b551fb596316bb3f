using GpuRnn.Cpu;
using GpuRnn.Tests.Tasks;
using Xunit;

namespace GpuRnn.Tests.IO;

/// <summary>
/// The tensors a spec implies (<see cref="ModelTensors"/>, what readers check a header against)
/// are exactly the parameters of the model built from that spec, names, shapes and order; and
/// sizes are computed in 64 bits, so a spec past int32 is refused instead of wrapping around.
/// </summary>
public sealed class ModelTensorsTests
{
    private static readonly CpuBackend Cpu = new();

    private static List<KeyValuePair<string, Shape>> Of(IEnumerable<Parameter> parameters) =>
        parameters.Select(p => new KeyValuePair<string, Shape>(p.Name, p.Value.Shape)).ToList();

    [Theory]
    [MemberData(nameof(RandomSpecs.Cells), MemberType = typeof(RandomSpecs))]
    public void ACharModelsTensorsAreItsParameters(RnnCellKind cell)
    {
        var rng = TestRandom.Create();
        for (var trial = 0; trial < 4; trial++)
        {
            var spec = new CharModelSpec(cell, rng.Next(2, 30), rng.Next(1, 9), rng.Next(1, 9), rng.Next(1, 4));
            using var model = new CharRnnModel(Cpu, spec, (ulong)rng.Next());
            Assert.Equal(Of(model.Parameters), new ExpectedTensors().AddCharModel(spec).Tensors);
        }
    }

    public static TheoryData<TaskKind, RnnCellKind, bool, bool> TaskCases
    {
        get
        {
            var data = new TheoryData<TaskKind, RnnCellKind, bool, bool>();
            foreach (var task in Enum.GetValues<TaskKind>())
            foreach (var cell in new[] { RnnCellKind.Lstm, RnnCellKind.Gru, RnnCellKind.RnnTanh })
            {
                var canBeBidirectional = task is TaskKind.Classify or TaskKind.Tag or TaskKind.Adding;
                data.Add(task, cell, canBeBidirectional, false);
                if (task == TaskKind.WordLm) data.Add(task, cell, false, true);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TaskCases))]
    public void ATaskModelsTensorsAreItsParameters(TaskKind task, RnnCellKind cell, bool bidirectional, bool classSoftmax)
    {
        var rng = TestRandom.Create();
        var spec = TaskFixtures.Spec(task, cell, hidden: rng.Next(1, 7), inputVocabulary: rng.Next(3, 9), outputs: 7) with
        {
            NumLayers = rng.Next(1, 3),
            Bidirectional = bidirectional,
        };
        if (classSoftmax) spec = spec with { Softmax = SoftmaxKind.Class, WordClasses = [0, 0, 1, 1, 1, 2, 2] };
        spec.Validate();
        using var model = TaskModels.Create(Cpu, spec, (ulong)rng.Next());
        Assert.Equal(Of(model.Parameters), new ExpectedTensors().AddTaskModel(spec).Tensors);
    }

    [Theory]
    [InlineData(1_000_000_000, 32, "rnn.weight_ih_l0")]
    [InlineData(50_000, 32, "rnn.weight_hh_l0")]
    [InlineData(16, 200_000_000, "embedding.weight")]
    public void ASpecPastInt32IsRefusedNamingTheTensor(int hidden, int embedding, string tensor)
    {
        var spec = new CharModelSpec(RnnCellKind.Lstm, 65, embedding, hidden);
        var e = Assert.Throws<ArgumentException>(() => new ExpectedTensors().AddCharModel(spec));
        Assert.Contains($"tensor '{tensor}'", e.Message);
        Assert.Contains("more than the 2147483647 elements one tensor can hold", e.Message);
    }

    [Fact]
    public void AHeaderThatLacksWhatTheSpecImpliesIsRefusedWithoutBuildingTheList()
    {
        // A billion layers of a tiny model: the list is cut at the header's tensor count.
        var spec = new CharModelSpec(RnnCellKind.Gru, 5, 3, 4, 1_000_000_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ArgumentException>(() => new ExpectedTensors(maxTensors: 10).AddCharModel(spec));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Contains("more than the 10 tensors a model may have", e.Message);
    }

    [Fact]
    public void AModelFileNamingAMillionthLayerIsRefusedWithoutListingAMillionLayers()
    {
        var rng = TestRandom.Create();
        int hidden = rng.Next(2, 6), input = rng.Next(1, 5);
        Shape ih = new(4 * hidden, input), hh = new(4 * hidden, hidden);
        var shapes = new List<KeyValuePair<string, Shape>> { new("weight_ih_l0", ih), new("weight_hh_l0", hh), new("weight_ih_l999999", ih) };
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => StateDictSpec.Infer(shapes, source: "m.safetensors"));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith("m.safetensors: ", e.Message);
        Assert.Contains("1000000 layers", e.Message);
        Assert.True(allocated < 4 << 20, $"refusing 3 tensors allocated {allocated:N0} bytes");
    }
}
