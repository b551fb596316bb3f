using GpuRnn.Cpu;
using GpuRnn.Tests.IO;
using GpuRnn.Tests.Tasks;
using Xunit;

namespace GpuRnn.Tests.Nn;

/// <summary>The models as module trees: PyTorch's names and shapes, a state_dict round trip through safetensors, ZeroGrad and Dispose of the whole model.</summary>
public class ModelModuleTests
{
    private static readonly CpuBackend Cpu = new();

    /// <summary>nn.LSTM's parameters of <paramref name="layers"/> layers under <paramref name="prefix"/>: weight_ih, weight_hh, bias_ih, bias_hh per layer.</summary>
    private static IEnumerable<(string, Shape)> Lstm(string prefix, int input, int hidden, int layers) =>
        Enumerable.Range(0, layers).SelectMany(k => new (string, Shape)[]
        {
            ($"{prefix}weight_ih_l{k}", new Shape(4 * hidden, k == 0 ? input : hidden)),
            ($"{prefix}weight_hh_l{k}", new Shape(4 * hidden, hidden)),
            ($"{prefix}bias_ih_l{k}", new Shape(4 * hidden)),
            ($"{prefix}bias_hh_l{k}", new Shape(4 * hidden)),
        });

    [Fact]
    public void ACharacterModelHasPyTorchsNamesAndShapesAndRoundTripsThroughSafeTensors()
    {
        var rng = TestRandom.Create();
        int v = rng.Next(4, 9), e = rng.Next(2, 5), h = rng.Next(2, 6), layers = rng.Next(1, 3);
        var spec = new CharModelSpec(RnnCellKind.Lstm, v, e, h, layers);
        using var model = new CharRnnModel(Cpu, spec, (ulong)rng.Next());
        (string, Shape)[] expected = [("embedding.weight", new Shape(v, e)), .. Lstm("rnn.", e, h, layers), ("decoder.weight", new Shape(v, h)), ("decoder.bias", new Shape(v))];
        Assert.Equal(expected, model.StateDict().Select(kv => (kv.Key, kv.Value.Shape)));
        Assert.Equal(expected.Select(x => x.Item1), model.Parameters.Select(p => p.Name));

        using var folder = new TempFolder();
        var path = folder.File("model.safetensors");
        SafeTensors.Write(path, model.StateDict());
        using var other = new CharRnnModel(Cpu, spec, (ulong)rng.Next());
        var inputs = Enumerable.Range(0, 3 * 2).Select(_ => rng.Next(v)).ToArray();
        double[] Logits(CharRnnModel m)
        {
            using var state = m.CreateState(2);
            return m.NextLogits(inputs, 3, state);
        }
        Assert.NotEqual(Logits(model), Logits(other));
        other.LoadStateDict(SafeTensors.Read(path).Tensors, source: path);
        Assert.Equal(Logits(model), Logits(other));
    }

    [Fact]
    public void ACharacterModelRefusesAStateDictWithAnUnknownTensorNamingIt()
    {
        var rng = TestRandom.Create();
        var spec = new CharModelSpec(RnnCellKind.Gru, 5, 3, 4);
        using var model = new CharRnnModel(Cpu, spec, (ulong)rng.Next());
        var dict = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        dict["rnn.weight_hr_l0"] = HostTensor.Zeros(new Shape(2, 4), DType.Float32);
        var error = Assert.Throws<InvalidDataException>(() => model.LoadStateDict(dict, source: "x.safetensors"));
        Assert.Equal($"x.safetensors: unexpected tensor 'rnn.weight_hr_l0' [2, 4]: a character model ({spec}) has no parameter of that name", error.Message);
    }

    [Fact]
    public void ASeq2SeqModelNamesItsTreeAsPyTorchWould()
    {
        var rng = TestRandom.Create();
        int h = rng.Next(2, 5), layers = rng.Next(1, 3);
        var spec = TaskFixtures.Spec(TaskKind.Seq2Seq, RnnCellKind.Lstm, hidden: h) with { NumLayers = layers };
        using var model = TaskModels.Create(Cpu, spec, (ulong)rng.Next());
        int source = spec.InputVocabulary!.Count, target = spec.OutputSize, e = spec.EmbeddingSize;
        (string, Shape)[] expected =
        [
            ("encoder.embedding.weight", new Shape(source, e)), .. Lstm("encoder.rnn.", e, h, layers),
            ("decoder.embedding.weight", new Shape(target, e)), .. Lstm("decoder.rnn.", e, h, layers),
            ("decoder.output.weight", new Shape(target, h)), ("decoder.output.bias", new Shape(target)),
        ];
        Assert.Equal(expected, model.StateDict().Select(kv => (kv.Key, kv.Value.Shape)));
    }

    [Fact]
    public void AWordModelWithAClassSoftmaxNamesItsHeadsLayers()
    {
        var rng = TestRandom.Create();
        int h = rng.Next(2, 5);
        var spec = TaskFixtures.Spec(TaskKind.WordLm, RnnCellKind.Lstm, hidden: h, outputs: 6) with { Softmax = SoftmaxKind.Class, WordClasses = [0, 0, 1, 1, 1, 2] };
        using var model = TaskModels.Create(Cpu, spec, (ulong)rng.Next());
        (string, Shape)[] expected =
        [
            ("embedding.weight", new Shape(spec.InputVocabulary!.Count, spec.EmbeddingSize)), .. Lstm("rnn.", spec.EmbeddingSize, h, 1),
            ("output.classes.weight", new Shape(3, h)), ("output.classes.bias", new Shape(3)),
            ("output.words.weight", new Shape(6, h)), ("output.words.bias", new Shape(6)),
        ];
        Assert.Equal(expected, model.StateDict().Select(kv => (kv.Key, kv.Value.Shape)));
    }

    [Fact]
    public void ZeroGradAndDisposeReachEveryParameterOfATaskModel()
    {
        var rng = TestRandom.Create();
        var spec = TaskFixtures.Spec(TaskKind.Classify, RnnCellKind.Gru) with { Bidirectional = true };
        var model = TaskModels.Create(Cpu, spec, (ulong)rng.Next());
        model.TrainBatch(TaskFixtures.Examples(rng, spec, 3, 4));
        Assert.All(model.Parameters, p => Assert.Contains(p.Gradient.ToHost().AsFloat32(), g => g != 0));
        model.ZeroGrad();
        Assert.All(model.Parameters, p => Assert.All(p.Gradient.ToHost().AsFloat32(), g => Assert.Equal(0f, g)));
        var tensors = model.Parameters.SelectMany(p => new[] { p.Value, p.Gradient }).ToList();
        model.Dispose();
        Assert.All(tensors, t => Assert.True(t.IsDisposed));
        Assert.Throws<ObjectDisposedException>(() => model.EvaluateBatch(TaskFixtures.Examples(rng, spec, 2, 3)));
    }
}
