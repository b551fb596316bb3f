using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Sampling;

public class SamplingTests
{
    private static readonly CpuBackend Cpu = new();

    [Fact]
    public void TopKProbabilitiesAreZeroOutsideTheKLargestLogitsAndSumToOne()
    {
        var rng = TestRandom.Create();
        for (var trial = 0; trial < 50; trial++)
        {
            var v = rng.Next(2, 30);
            var k = rng.Next(1, v + 1);
            var logits = TestRandom.Uniform(rng, v, 4);
            var p = new double[v];
            TokenSampler.Probabilities(logits, 0.5 + rng.NextDouble(), k, p);
            var threshold = logits.OrderByDescending(x => x).ElementAt(k - 1);
            for (var j = 0; j < v; j++)
                Assert.True(logits[j] >= threshold || p[j] == 0, $"id {j} outside the top {k} has probability {p[j]}");
            Assert.Equal(k, p.Count(x => x > 0));
            Assert.Equal(1.0, p.Sum(), 1e-12);
        }
    }

    [Fact]
    public void TemperatureDividesTheLogits()
    {
        double[] logits = [1.0, 2.0, 0.5];
        var p = new double[3];
        TokenSampler.Probabilities(logits, 0.5, 0, p);
        var z = logits.Select(x => Math.Exp(x / 0.5)).ToArray();
        Tolerance.AssertClose(p, z.Select(x => x / z.Sum()).ToArray(), 1e-14, "softmax at temperature 0.5");
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenSampler.Probabilities(logits, 0, 0, p));
    }

    [Fact]
    public void GeneratedCharactersAreAlwaysAmongTheModelsTopK()
    {
        var rng = TestRandom.Create();
        var vocabulary = Vocabulary.FromText("abcdefghij");
        using var model = new CharRnnModel(Cpu, new CharModelSpec(RnnCellKind.Lstm, vocabulary.Count, 4, 8), (ulong)rng.Next());
        const int k = 3, length = 40;
        var start = vocabulary.Encode("abc");
        var ids = Sampler.GenerateIds(model, start, length, new SamplingOptions(1.5, k, (ulong)rng.Next()));
        // Replay: the distribution after each prefix, computed by feeding the whole prefix at once.
        for (var i = 0; i < length; i++)
        {
            using var state = model.CreateState(1);
            int[] prefix = [.. start, .. ids[..i]];
            var logits = model.NextLogits(prefix, prefix.Length, state);
            var rank = logits.Count(x => x > logits[ids[i]]);
            Assert.True(rank < k, $"character {i} ('{vocabulary[ids[i]]}') has rank {rank}, outside the top {k}");
        }
    }

    [Fact]
    public void TheSameSeedGivesTheSameTextAndPrimeCharactersMustBeKnown()
    {
        var vocabulary = Vocabulary.FromText("0123456789+-=\n");
        using var model = new CharRnnModel(Cpu, new CharModelSpec(RnnCellKind.Gru, vocabulary.Count, 4, 8), 11);
        var a = Sampler.Generate(model, vocabulary, "12+", 30, new SamplingOptions(1, 0, 5));
        var b = Sampler.Generate(model, vocabulary, "12+", 30, new SamplingOptions(1, 0, 5));
        var c = Sampler.Generate(model, vocabulary, "12+", 30, new SamplingOptions(1, 0, 6));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.StartsWith("12+", a);
        Assert.Equal(33, a.Length);
        var e = Assert.Throws<ArgumentException>(() => Sampler.Generate(model, vocabulary, "12*3", 5, new SamplingOptions()));
        Assert.Contains("'*' (U+002A) at position 2", e.Message);
        Assert.Contains("temperature must be positive", Assert.Throws<ArgumentException>(() => new SamplingOptions(-1).Validate()).Message);
    }

    [Theory]
    [InlineData(RnnCellKind.Lstm)]
    [InlineData(RnnCellKind.Gru)]
    public void ExhaustiveBeamSearchFindsTheMostProbableContinuationFoundByBruteForce(RnnCellKind cell)
    {
        var rng = TestRandom.Create();
        const int vocab = 3, length = 3;
        using var model = new CharRnnModel(Cpu, new CharModelSpec(cell, vocab, 3, 5), (ulong)rng.Next(), DType.Float64);
        // Sharper distributions than a fresh model's, so the best sequence stands out.
        Cpu.Scale(model.Decoder.Weight.Value, 8);
        int[] prime = [rng.Next(vocab), rng.Next(vocab)];

        // Brute force over all V^N continuations: log p = -(loss sum over the continuation's positions),
        // with the losses summed by the model's softmax cross-entropy over the whole sequence.
        var best = (Tokens: Array.Empty<int>(), LogP: double.NegativeInfinity);
        using var primeState = model.CreateState(1);
        var primeLoss = model.Evaluate(prime[..^1], prime[1..], prime.Length - 1, primeState).LossSum;
        for (var code = 0; code < Math.Pow(vocab, length); code++)
        {
            var seq = new int[length];
            for (int i = 0, c = code; i < length; i++, c /= vocab) seq[i] = c % vocab;
            int[] all = [.. prime, .. seq];
            using var state = model.CreateState(1);
            var logP = -(model.Evaluate(all[..^1], all[1..], all.Length - 1, state).LossSum - primeLoss);
            if (logP > best.LogP) best = (seq, logP);
        }

        var beams = BeamSearch.Run(model, prime, length, width: vocab * vocab);
        Assert.Equal(best.Tokens, beams[0].Tokens);
        Assert.Equal(best.LogP, beams[0].LogProbability, 1e-9);
        for (var i = 1; i < beams.Count; i++) Assert.True(beams[i].LogProbability <= beams[i - 1].LogProbability);
    }

    [Fact]
    public void BeamOfWidthOneIsGreedyDecoding()
    {
        var rng = TestRandom.Create();
        using var model = new CharRnnModel(Cpu, new CharModelSpec(RnnCellKind.Lstm, 6, 3, 5), (ulong)rng.Next(), DType.Float64);
        int[] prime = [rng.Next(6)];
        var beam = BeamSearch.Run(model, prime, 8, width: 1);
        Assert.Equal(Sampler.Greedy(model, prime, 8), beam[0].Tokens);
    }
}
