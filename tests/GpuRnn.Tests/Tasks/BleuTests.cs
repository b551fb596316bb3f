using Xunit;

namespace GpuRnn.Tests.Tasks;

/// <summary>
/// Corpus BLEU against values worked out by hand from Papineni et al.'s definitions: each expected
/// value is written as the clipped n-gram counts and lengths counted here in the comments.
/// </summary>
public class BleuTests
{
    // Tokens as letters, for readable cases: "a b c" -> [0, 1, 2].
    private static int[] T(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w[0] - 'a').ToArray();

    [Fact]
    public void ACandidateEqualToItsReferenceScoresOne()
    {
        var rng = TestRandom.Create();
        var sentence = Enumerable.Range(0, rng.Next(4, 12)).Select(_ => rng.Next(6)).ToArray();
        Assert.Equal(1.0, Bleu.Score([sentence], [sentence]), 12);
    }

    [Fact]
    public void RepeatedWordsAreClippedToTheirCountInTheReference()
    {
        // Papineni et al.'s example: "the" 7 times against "the cat is on the mat" (2 of them): p1 = 2/7; c = 7 > r = 6, no penalty.
        int the = 0, cat = 1, isWord = 2, on = 3, mat = 4;
        int[] candidate = [the, the, the, the, the, the, the];
        int[] reference = [the, cat, isWord, on, the, mat];
        Assert.Equal(2.0 / 7, Bleu.Score([candidate], [reference], order: 1), 12);
    }

    [Fact]
    public void AShortCandidateIsPenalisedByTheBrevityPenalty()
    {
        // "a b c d e" against "a b c d f g": 1-grams 4 of 5, 2-grams 3 of 4 (ab bc cd), 3-grams 2 of 3 (abc bcd),
        // 4-grams 1 of 2 (abcd); c = 5 < r = 6, so BP = exp(1 - 6/5).
        var expected = Math.Exp(1 - 6.0 / 5) * Math.Pow(4.0 / 5 * (3.0 / 4) * (2.0 / 3) * (1.0 / 2), 0.25);
        Assert.Equal(expected, Bleu.Score([T("a b c d e")], [T("a b c d f g")]), 12);
    }

    [Fact]
    public void TheCorpusScoreSumsCountsOverSentencesRatherThanAveragingSentenceScores()
    {
        // "a b c d" = its reference: 4/4, 3/3, 2/2, 1/1. "e f g h" against "e f x h": 3/4, 1/3 (ef), 0/2, 0/1 (a sentence
        // score of 0). Corpus: 7/8, 4/6, 2/4, 1/2; c = r = 8, no penalty.
        var expected = Math.Pow(7.0 / 8 * (4.0 / 6) * (2.0 / 4) * (1.0 / 2), 0.25);
        Assert.Equal(expected, Bleu.Score([T("a b c d"), T("e f g h")], [T("a b c d"), T("e f x h")]), 12);
        Assert.Equal(0.0, Bleu.Score([T("e f g h")], [T("e f x h")]));
    }

    [Fact]
    public void WithSeveralReferencesCountsAreClippedByTheMostInOneReferenceAndTheClosestLengthIsUsed()
    {
        // "a a a a" against "a b" and "a a c": "a" occurs at most 2 times in one reference, so p1 = 2/4 (not 3/4,
        // the sum over references); the closest reference length to c = 4 is 3 < 4, so no penalty.
        IReadOnlyList<int[]> references = [T("a b"), T("a a c")];
        Assert.Equal(2.0 / 4, Bleu.Score([T("a a a a")], [references], order: 1), 12);
        // "a b c" against "a b" and "a b c d d": lengths 2 and 5 are 1 and 2 away, so r = 2 < c = 3 and no penalty;
        // all three words are in the second reference: BLEU-1 = 1.
        Assert.Equal(1.0, Bleu.Score([T("a b c")], [(IReadOnlyList<int[]>)[T("a b"), T("a b c d d")]], order: 1), 12);
        // "a b" against "a b c": r = 3 > c = 2, BP = exp(1 - 3/2); p1 = 2/2, p2 = 1/1.
        Assert.Equal(Math.Exp(1 - 3.0 / 2), Bleu.Score([T("a b")], [T("a b c")], order: 2), 12);
    }

    [Fact]
    public void NoMatchOfSomeOrderOrNoCandidateTokensScoresZero()
    {
        Assert.Equal(0.0, Bleu.Score([T("a b c")], [T("a b c d")]));
        Assert.Equal(0.0, Bleu.Score([T("")], [T("a b c d")]));
        var counts = Bleu.Statistics([T("a b c")], [(IReadOnlyList<int[]>)[T("a b c d")]]);
        Assert.Equal([3L, 2, 1, 0], counts.Matches);
        Assert.Equal([3L, 2, 1, 0], counts.Totals);
        Assert.Equal((3L, 4L), (counts.CandidateLength, counts.ReferenceLength));
    }

    [Fact]
    public void MismatchedListsAreRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => Bleu.Score([T("a b")], [T("a"), T("b")]));
        Assert.Equal("1 candidates but 2 reference sets (expected one set per candidate)", error.Message);
        Assert.Throws<ArgumentException>(() => Bleu.Score([T("a b")], [T("a b")], order: 0));
    }
}
