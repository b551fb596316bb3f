using GpuRnn.Cpu;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace GpuRnn.Tests.Onnx;

/// <summary>Exported many-to-one models (classify, adding) run in ONNX Runtime and match SequenceClassifier.Predict.</summary>
public class ClassifierGraphTests
{
    [Theory]
    [InlineData("lstm", true, "last")]
    [InlineData("lstm", true, "mean")]
    [InlineData("gru", false, "last")]
    [InlineData("rnn_tanh", true, "mean")]
    [InlineData("gru", true, "last")]
    public void ClassifierMatchesPredictInOnnxRuntime(string cell, bool bidirectional, string pooling)
    {
        var rng = TestRandom.Create();
        var spec = new TaskSpec
        {
            Task = TaskKind.Classify,
            Cell = RnnNames.ParseCell(cell),
            HiddenSize = 6,
            NumLayers = 2,
            Bidirectional = bidirectional,
            EmbeddingSize = 5,
            InputVocabulary = new Vocabulary(Enumerable.Range(0, 9).Select(i => $"w{i}")),
            OutputVocabulary = new Vocabulary(["neg", "neu", "pos"]),
            Pooling = TaskNames.ParsePooling(pooling),
        };
        int[] lengths = [4, 7, 1, 3];
        var examples = lengths.Select(n => new SequenceExample
        {
            Length = n,
            Tokens = Enumerable.Range(0, n).Select(_ => rng.Next(spec.InputVocabulary!.Count)).ToArray(),
        }).ToArray();
        var steps = lengths.Max();
        // Padding ids past an end are arbitrary valid ids: the graph must ignore them.
        var tokens = new long[steps * lengths.Length];
        for (var t = 0; t < steps; t++)
            for (var b = 0; b < lengths.Length; b++)
                tokens[t * lengths.Length + b] = t < lengths[b] ? examples[b].Tokens![t] : rng.Next(spec.InputVocabulary!.Count);
        Check(spec, rng, examples, "tokens", OrtValue.CreateTensorValueFromMemory(tokens, [steps, lengths.Length]), "probabilities");
    }

    [Fact]
    public void AddingRegressionMatchesPredictInOnnxRuntime()
    {
        var rng = TestRandom.Create();
        var spec = new TaskSpec { Task = TaskKind.Adding, Cell = RnnCellKind.Lstm, HiddenSize = 5, FeatureSize = 2, Length = 8 };
        int[] lengths = [8, 5, 2];
        var examples = lengths.Select(n => new SequenceExample
        {
            Length = n,
            Features = Enumerable.Range(0, n * 2).Select(_ => rng.NextDouble() * 2 - 1).ToArray(),
        }).ToArray();
        var steps = lengths.Max();
        var features = new float[steps * lengths.Length * 2];
        for (var t = 0; t < steps; t++)
            for (var b = 0; b < lengths.Length; b++)
                for (var f = 0; f < 2; f++)
                    features[(t * lengths.Length + b) * 2 + f] = t < lengths[b] ? (float)examples[b].Features![t * 2 + f] : (float)rng.NextDouble();
        Check(spec, rng, examples, "features", OrtValue.CreateTensorValueFromMemory(features, [steps, lengths.Length, 2]), "value");
    }

    [Fact]
    public void ATaggerSpecIsRefusedWithItsTaskNamed()
    {
        var spec = new TaskSpec
        {
            Task = TaskKind.Tag, Cell = RnnCellKind.Gru, HiddenSize = 4, EmbeddingSize = 3,
            InputVocabulary = new Vocabulary(["a", "b"]), OutputVocabulary = new Vocabulary(["X", "Y"]),
        };
        var e = Assert.Throws<ArgumentException>(() => ClassifierGraph.Export(spec, new Dictionary<string, HostTensor>()));
        Assert.Contains("not tag", e.Message);
    }

    private static void Check(TaskSpec spec, Random rng, SequenceExample[] examples, string inputName, OrtValue input, string outputName)
    {
        var backend = new CpuBackend();
        using var model = (SequenceClassifier)TaskModels.Create(backend, spec, (ulong)rng.Next());
        foreach (var p in model.Parameters)
            p.Value.CopyFrom(TestRandom.Tensor(rng, p.Value.Shape, DType.Float32, 0.6));
        var stateDict = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        var expected = model.Predict(examples).SelectMany(r => r).ToArray();

        using var session = new InferenceSession(ClassifierGraph.Export(spec, stateDict));
        var lengths = examples.Select(e => e.Length).ToArray();
        using var lengthValue = OrtValue.CreateTensorValueFromMemory(lengths, [lengths.Length]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName, "lengths"], [input, lengthValue], [outputName]);
        input.Dispose();
        Assert.Equal([(long)examples.Length, spec.OutputSize], results[0].GetTensorTypeAndShape().Shape);
        var got = results[0].GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v).ToArray();
        Tolerance.AssertClose(got, expected, Tolerance.Forward32, spec.ToString());
    }
}
