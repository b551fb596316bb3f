using GpuRnn.Cpu;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace GpuRnn.Tests.Onnx;

/// <summary>Exported taggers run in ONNX Runtime and match SequenceTagger.LogProbabilities at every sequence's own steps.</summary>
public class TaggerGraphTests
{
    [Theory]
    [InlineData("lstm", true)]
    [InlineData("gru", true)]
    [InlineData("rnn_relu", false)]
    public void TaggerMatchesLogProbabilitiesInOnnxRuntime(string cell, bool bidirectional)
    {
        var rng = TestRandom.Create();
        var spec = new TaskSpec
        {
            Task = TaskKind.Tag,
            Cell = RnnNames.ParseCell(cell),
            HiddenSize = 6,
            NumLayers = 2,
            Bidirectional = bidirectional,
            EmbeddingSize = 5,
            InputVocabulary = new Vocabulary(Enumerable.Range(0, 9).Select(i => $"w{i}")),
            OutputVocabulary = new Vocabulary(["O", "B-X", "I-X", "B-Y"]),
        };
        int[] lengths = [4, 7, 1, 3];
        int batch = lengths.Length, steps = lengths.Max(), v = spec.OutputSize;
        var examples = lengths.Select(n => new SequenceExample
        {
            Length = n,
            Tokens = Enumerable.Range(0, n).Select(_ => rng.Next(spec.InputVocabulary!.Count)).ToArray(),
        }).ToArray();
        var tokens = new long[steps * batch];
        for (var t = 0; t < steps; t++)
            for (var b = 0; b < batch; b++)
                tokens[t * batch + b] = t < lengths[b] ? examples[b].Tokens![t] : rng.Next(spec.InputVocabulary!.Count);

        var backend = new CpuBackend();
        using var model = (SequenceTagger)TaskModels.Create(backend, spec, (ulong)rng.Next());
        foreach (var p in model.Parameters)
            p.Value.CopyFrom(TestRandom.Tensor(rng, p.Value.Shape, DType.Float32, 0.6));
        var stateDict = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        var logProbabilities = model.LogProbabilities(examples);

        using var session = new InferenceSession(TaggerGraph.Export(spec, stateDict));
        using var tokenValue = OrtValue.CreateTensorValueFromMemory(tokens, [steps, batch]);
        using var lengthValue = OrtValue.CreateTensorValueFromMemory(lengths, [batch]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["tokens", "lengths"], [tokenValue, lengthValue], ["probabilities"]);
        Assert.Equal([(long)steps, batch, v], results[0].GetTensorTypeAndShape().Shape);
        var all = results[0].GetTensorDataAsSpan<float>().ToArray();
        var got = new List<double>();
        var expected = new List<double>();
        for (var b = 0; b < batch; b++)
            for (var t = 0; t < lengths[b]; t++)
                for (var j = 0; j < v; j++)
                {
                    got.Add(all[(t * batch + b) * v + j]);
                    expected.Add(Math.Exp(logProbabilities[b][t * v + j]));
                }
        Tolerance.AssertClose([.. got], [.. expected], Tolerance.Forward32, spec.ToString());
    }
}
