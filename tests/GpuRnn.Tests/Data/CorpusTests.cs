using System.Text;
using Xunit;

namespace GpuRnn.Tests.Data;

public class CorpusTests
{
    [Fact]
    public void VocabularyEncodesAndDecodesEveryCharacterIncludingSurrogatePairs()
    {
        const string text = "héllo, wörld 🙂 λ\n";
        var v = Vocabulary.FromText(text);
        Assert.Equal(text.EnumerateRunes().Distinct().Count(), v.Count);
        Assert.Equal(text, v.Decode(v.Encode(text)));
        Assert.True(v.SameAs(Vocabulary.FromJson(v.ToJson())));
        // Ids follow code-point order, so the same characters always get the same ids.
        Assert.Equal(v.Tokens.OrderBy(s => Rune.GetRuneAt(s, 0).Value), v.Tokens);
    }

    [Fact]
    public void EncodingACharacterOutsideTheVocabularyNamesItAndItsPosition()
    {
        var v = Vocabulary.FromText("abc");
        var e = Assert.Throws<ArgumentException>(() => v.Encode("abz", "the prime text"));
        Assert.Contains("'z' (U+007A) at position 2", e.Message);
        Assert.Contains("the prime text", e.Message);
    }

    [Fact]
    public void CorpusSplitsNinetyTenWithoutOverlap()
    {
        var rng = TestRandom.Create();
        var text = new string(Enumerable.Range(0, rng.Next(100, 300)).Select(_ => (char)('a' + rng.Next(5))).ToArray());
        var c = TextCorpus.FromText(text, "test");
        Assert.Equal((int)(text.Length * 0.9), c.Train.Length);
        Assert.Equal(text, c.Vocabulary.Decode(c.Train) + c.Vocabulary.Decode(c.Validation));
    }

    [Fact]
    public void LoadingRefusesMissingEmptyBinaryAndNonUtf8Files()
    {
        var dir = Directory.CreateTempSubdirectory("gpurnn-corpus-");
        try
        {
            var missing = Path.Combine(dir.FullName, "nope.txt");
            Assert.Contains("does not exist", Assert.Throws<FileNotFoundException>(() => TextCorpus.Load(missing)).Message);
            var empty = Path.Combine(dir.FullName, "empty.txt");
            File.WriteAllBytes(empty, []);
            Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => TextCorpus.Load(empty)).Message);
            var binary = Path.Combine(dir.FullName, "binary.bin");
            File.WriteAllBytes(binary, [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x00, 0x01, 0x00]);
            Assert.Contains("is binary", Assert.Throws<InvalidDataException>(() => TextCorpus.Load(binary)).Message);
            var latin1 = Path.Combine(dir.FullName, "latin1.txt");
            File.WriteAllBytes(latin1, Encoding.Latin1.GetBytes("caf\u00e9 au lait, encore un caf\u00e9 s'il vous pla\u00eet"));
            Assert.Contains("not UTF-8 text (an invalid byte at offset 3)", Assert.Throws<InvalidDataException>(() => TextCorpus.Load(latin1)).Message);
            var tiny = Path.Combine(dir.FullName, "tiny.txt");
            File.WriteAllText(tiny, "abc");
            Assert.Contains("has 3 characters", Assert.Throws<InvalidDataException>(() => TextCorpus.Load(tiny)).Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ArithmeticCorpusIsReproducibleAndEveryStatementIsTrue()
    {
        var seed = (ulong)TestRandom.Create().Next();
        var text = ArithmeticCorpus.Generate(seed, 500);
        Assert.Equal(text, ArithmeticCorpus.Generate(seed, 500));
        Assert.NotEqual(text, ArithmeticCorpus.Generate(seed + 1, 500));
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(500, lines.Length);
        Assert.All(lines, l => Assert.True(ArithmeticCorpus.IsCorrect(l), $"'{l}' is not a true statement"));
        Assert.False(ArithmeticCorpus.IsCorrect("17+25=43"));
        Assert.False(ArithmeticCorpus.IsCorrect("17+=42"));
    }

    [Fact]
    public void ArithmeticEntropyMatchesTheGeneratorsFrequencies()
    {
        // Monte Carlo: -log2 of each generated statement's probability under the generator's
        // distribution (operand: 1/2 one digit, 1/2 two digits from 0..99), over the text's length.
        var text = ArithmeticCorpus.Generate((ulong)TestRandom.Create().Next(), 20_000);
        double P(int x) => 0.5 * (x < 10 ? 0.1 : 0) + 0.005;
        double bits = 0;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var op = line.IndexOfAny(['+', '-'], 1);
            int a = int.Parse(line[..op]), b = int.Parse(line[(op + 1)..line.IndexOf('=')]);
            var pair = line[op] == '+' ? P(a) * P(b) : a == b ? P(a) * P(b) : 2 * P(a) * P(b);
            bits -= Math.Log2(0.5 * pair);
        }
        Assert.Equal(ArithmeticCorpus.EntropyBitsPerCharacter(), bits / text.Length, 0.02);
        Assert.InRange(ArithmeticCorpus.EntropyBitsPerCharacter(), 1.5, 1.6);
    }

    [Fact]
    public void BatcherChunksContinueEachStreamWhereThePreviousChunkEnded()
    {
        var rng = TestRandom.Create();
        var tokens = Enumerable.Range(0, rng.Next(200, 400)).ToArray(); // token value = its position
        int batch = rng.Next(2, 5), seq = rng.Next(3, 8);
        var b = new StreamBatcher(tokens, batch, seq);
        Assert.Equal((tokens.Length - 1) / batch / seq, b.ChunksPerEpoch);
        int[] inputs = new int[batch * seq], targets = new int[batch * seq];
        for (var step = 0; step < b.ChunksPerEpoch + 2; step++)
        {
            b.Fill(step, inputs, targets);
            var chunk = step % b.ChunksPerEpoch;
            for (var s = 0; s < batch; s++)
                for (var t = 0; t < seq; t++)
                {
                    Assert.Equal(s * b.StreamLength + chunk * seq + t, inputs[t * batch + s]);
                    Assert.Equal(inputs[t * batch + s] + 1, targets[t * batch + s]);
                }
        }
        Assert.True(b.StartsEpoch(b.ChunksPerEpoch));
        Assert.False(b.StartsEpoch(1));
    }

    [Fact]
    public void CorpusShorterThanOneBatchIsRefusedWithTheSizesNeeded()
    {
        var e = Assert.Throws<ArgumentException>(() => new StreamBatcher(new int[100], 8, 16));
        Assert.Contains("shorter than one batch: batch 8 x seq 16 + 1 = 129", e.Message);
        Assert.Contains("batch size must be positive", Assert.Throws<ArgumentException>(() => new StreamBatcher(new int[100], 0, 16)).Message);
    }
}
