using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Tasks;

/// <summary>Greedy and beam-search decoding of the seq2seq model against brute force.</summary>
public class Seq2SeqDecodingTests
{
    private static readonly CpuBackend Cpu = new();

    /// <summary>Every output of up to <paramref name="maxTokens"/> tokens from [1, V) (the end token 0 follows).</summary>
    private static List<int[]> AllOutputs(int v, int maxTokens)
    {
        var all = new List<int[]> { Array.Empty<int>() };
        var frontier = new List<int[]> { Array.Empty<int>() };
        for (var n = 1; n <= maxTokens; n++)
        {
            frontier = frontier.SelectMany(p => Enumerable.Range(1, v - 1).Select(t => (int[])[.. p, t])).ToList();
            all.AddRange(frontier);
        }
        return all;
    }

    [Theory]
    [InlineData(RnnCellKind.Lstm)]
    [InlineData(RnnCellKind.Gru)]
    public void AnExhaustiveBeamFindsTheMostProbableOutputOfAllAndAWidthOfOneIsGreedy(RnnCellKind cell)
    {
        var rng = TestRandom.Create();
        const int maxLength = 4;
        var spec = TaskFixtures.Spec(TaskKind.Seq2Seq, cell, hidden: 4, outputs: 3) with { MaxOutputLength = maxLength, NumLayers = 2 };
        using var model = new Seq2SeqModel(Cpu, spec, (ulong)rng.Next(), DType.Float64);
        // Larger weights make the distributions peaked and different from step to step.
        foreach (var p in model.Parameters) TensorExtensions.Upload(p.Value, TestRandom.Uniform(rng, p.Value.ElementCount, 1.5));
        var source = TaskFixtures.Examples(rng, spec, 1, 5)[0] with { Output = null };

        // Brute force: the log-probability of every output of at most maxLength tokens, the end token included.
        var outputs = AllOutputs(spec.OutputSize, maxLength - 1);
        var scores = model.SequenceLogProbabilities(outputs.Select(o => source with { Output = o }).ToList());
        var best = Enumerable.Range(0, outputs.Count).MaxBy(i => scores[i]);

        var width = (int)Math.Pow(spec.OutputSize, maxLength);
        var found = BeamSearch.Run(model.Session(source, width), width, maxLength, Seq2SeqModel.EndId);
        Assert.Equal(outputs[best], found[0].Tokens);
        Assert.Equal(scores[best], found[0].LogProbability, 1e-10);
        Assert.Equal(outputs[best], model.Decode([source], beam: width)[0]);
        // Every finished hypothesis carries its own log-probability under teacher forcing.
        var rescored = model.SequenceLogProbabilities(found.Select(f => source with { Output = f.Tokens }).ToList());
        for (var i = 0; i < found.Count; i++) Assert.Equal(rescored[i], found[i].LogProbability, 1e-10);

        var greedy = model.Decode([source], beam: 1)[0];
        var narrow = BeamSearch.Run(model.Session(source, 1), 1, maxLength, Seq2SeqModel.EndId)[0];
        Assert.Equal(greedy, narrow.Tokens);
    }

    [Fact]
    public void GreedyDecodingOfABatchEqualsDecodingEachSourceAlone()
    {
        var rng = TestRandom.Create();
        var spec = TaskFixtures.Spec(TaskKind.Seq2Seq, hidden: 5, outputs: 4) with { MaxOutputLength = 6 };
        using var model = new Seq2SeqModel(Cpu, spec, (ulong)rng.Next(), DType.Float64);
        foreach (var p in model.Parameters) TensorExtensions.Upload(p.Value, TestRandom.Uniform(rng, p.Value.ElementCount, 1.5));
        var sources = TaskFixtures.Examples(rng, spec, 4, 6);
        var together = model.Decode(sources);
        for (var i = 0; i < sources.Length; i++) Assert.Equal(model.Decode([sources[i]])[0], together[i]);
    }
}
