using Xunit;

namespace GpuRnn.Tests.Tasks;

/// <summary>Tokenization, vocabularies, batching order and the built-in generators.</summary>
public class TaskDataTests
{
    [Fact]
    public void WordsAreLowerCasedRunsOfLettersAndDigitsWithPunctuationOnItsOwn()
    {
        Assert.Equal(["it", "'", "s", "a", "great", "film", ",", "10", "/", "10", "!"], Tokenizer.Split("It's a GREAT film, 10/10!", Tokenization.Word));
        Assert.Equal(["a", "😀", "b"], Tokenizer.Split("a😀b", Tokenization.Char));
        Assert.Equal(["EU", "rejects", "German"], Tokenizer.Split(" EU  rejects\tGerman ", Tokenization.Whitespace));
        Assert.Equal("a b", Tokenizer.Join(["a", "b"], Tokenization.Word));
        Assert.Equal("ab", Tokenizer.Join(["a", "b"], Tokenization.Char));
    }

    [Fact]
    public void AVocabularyPutsSpecialsFirstThenTokensByFallingCountAndMapsRareTokensToUnknown()
    {
        var vocabulary = Vocabulary.Build(["b", "a", "c", "a", "b", "a", "d"], 2, Vocabulary.Unknown);
        Assert.Equal([Vocabulary.Unknown, "a", "b"], vocabulary.Tokens);
        Assert.Equal(0, vocabulary.EncodeToken("c", "x"));
        Assert.True(vocabulary.SameAs(Vocabulary.FromJson(vocabulary.ToJson())));
        var labels = new Vocabulary(["neg", "pos"]);
        Assert.Equal("x, line 4: 'meh' is not one of the model's 2 (neg, pos)", Assert.Throws<InvalidDataException>(() => labels.EncodeToken("meh", "x, line 4")).Message);
    }

    [Fact]
    public void TheBatchOfAStepIsAPureFunctionOfTheStepAndEveryPassReadsEveryExampleOnce()
    {
        var rng = TestRandom.Create();
        var examples = Enumerable.Range(0, 23).Select(i => new SequenceExample { Length = 1, Tokens = [i] }).ToArray();
        var seed = (ulong)rng.Next();
        var a = new FixedTaskData("d", examples, examples[..2], seed);
        var b = new FixedTaskData("d", examples, examples[..2], seed);
        Assert.Equal(5, a.BatchesPerEpoch(4));
        for (var epoch = 0; epoch < 2; epoch++)
        {
            var seen = Enumerable.Range(epoch * 5, 5).SelectMany(s => a.TrainBatch(s, 4)).Select(e => e.Tokens![0]).ToList();
            Assert.Equal(seen.Count, seen.Distinct().Count());
        }
        // Asked out of order (as after a resume), the batches are the same.
        Assert.Equal(a.TrainBatch(7, 4).Select(e => e.Tokens![0]), b.TrainBatch(7, 4).Select(e => e.Tokens![0]));
        Assert.NotEqual(a.TrainBatch(0, 4).Select(e => e.Tokens![0]), a.TrainBatch(5, 4).Select(e => e.Tokens![0]));
        Assert.Contains("23 training examples, fewer than one batch of 30", Assert.Throws<ArgumentException>(() => a.BatchesPerEpoch(30)).Message);
    }

    [Fact]
    public void TheAddingProblemMarksOneValueInEachHalfAndItsTargetIsTheirSum()
    {
        var rng = TestRandom.Create();
        var length = rng.Next(4, 40);
        var seed = (ulong)rng.Next();
        var index = rng.Next(1000);
        var e = AddingProblem.Example(seed, index, length);
        var marked = Enumerable.Range(0, length).Where(t => e.Features![t * 2 + 1] == 1).ToArray();
        Assert.Equal(2, marked.Length);
        Assert.True(marked[0] < length / 2 && marked[1] >= length / 2);
        Assert.Equal(e.Features![marked[0] * 2] + e.Features[marked[1] * 2], e.Value);
        Assert.All(Enumerable.Range(0, length), t => Assert.InRange(e.Features![t * 2], 0, 1));
        Assert.Equal(e.Features, AddingProblem.Example(seed, index, length).Features);
        Assert.Equal(1.0 / 6, AddingProblem.BaselineMse);
    }

    [Fact]
    public void TheCopyTaskAsksForTheSymbolsAfterTheDelimiterAndItsBaselineIsKLog8OverTPlus2K()
    {
        var e = CopyProblem.Example(3, 1, delay: 6, count: 3);
        Assert.Equal(12, e.Length);
        Assert.All(e.Tokens![..3], s => Assert.InRange(s, 1, 8));
        Assert.Equal([0, 0, 0, 0, 0, CopyProblem.Delimiter, 0, 0, 0], e.Tokens[3..]);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0], e.Targets![..9]);
        Assert.Equal(e.Tokens[..3], e.Targets[9..]);
        Assert.Equal(3 * Math.Log(8) / 12, CopyProblem.BaselineLoss(6, 3), 1e-15);
    }

    [Fact]
    public void GeneratorsAreDeterministicFromTheirSeed()
    {
        Assert.Equal(SentimentSentences.Example(4, 17), SentimentSentences.Example(4, 17));
        Assert.NotEqual(SentimentSentences.Example(4, 17), SentimentSentences.Example(5, 17));
        Assert.Equal(EntitySentences.Example(4, 3).Tags, EntitySentences.Example(4, 3).Tags);
        Assert.Equal(SyntheticWords.Generate(2, 50), SyntheticWords.Generate(2, 50));
        Assert.Equal("four thousand twelve", NumberWords.Words(4012));
        Assert.Equal("seven hundred", NumberWords.Words(700));
        Assert.Equal("ninety nine", NumberWords.Words(99));
        var (train, validation) = NumberWords.Split(1, 500);
        Assert.Equal(NumberWords.Limit, train.Count + validation.Count);
        Assert.Empty(train.Select(p => p.Target).Intersect(validation.Select(p => p.Target)));
    }

    [Fact]
    public void SentimentLabelsFollowNegationAndTheClauseAfterBut()
    {
        // Every generated text's label agrees with a reading of the grammar written out here.
        string[] positive = ["good", "great", "excellent", "wonderful", "fun", "superb", "lovely", "brilliant", "charming", "pleasant"];
        string[] negative = ["bad", "awful", "boring", "terrible", "dull", "poor", "weak", "horrible", "bland", "annoying"];
        int Clause(string clause)
        {
            var words = clause.Split(' ');
            var p = positive.Contains(words[^1]) ? 1 : negative.Contains(words[^1]) ? -1 : 0;
            return words.Contains("not") || words.Contains("never") ? -p : p;
        }
        foreach (var (label, text) in SentimentSentences.Generate(9, 300))
        {
            var clauses = text.Split(" but ");
            var polarity = Clause(clauses[^1]);
            if (polarity == 0 && clauses.Length == 2) polarity = Clause(clauses[0]);
            Assert.Equal(SentimentSentences.Labels[polarity + 1], label);
        }
    }
}
