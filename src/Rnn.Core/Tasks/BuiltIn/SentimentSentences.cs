namespace GpuRnn.Tasks.BuiltIn;

/// <summary>
/// The built-in data of <c>classify</c>: short reviews such as <c>the plot was not very good but
/// the music was lovely</c>, labelled <c>positive</c>, <c>negative</c> or <c>neutral</c>. The label
/// needs the order of the words, not only which words occur: a negation flips the adjective that
/// follows it, and after "but" the second clause decides (unless it is neutral). Generated from a
/// seed by the project itself.
/// </summary>
public static class SentimentSentences
{
    /// <summary>The name shown for the data in logs and checkpoints.</summary>
    public const string Name = "built-in sentiment sentences";

    private static readonly string[] Subjects = ["the movie", "the film", "this book", "the plot", "the acting", "the soup", "our hotel",
        "the service", "the music", "my phone", "the game", "the ending", "the show", "the food", "the room", "the song"];
    private static readonly string[] Verbs = ["was", "is", "seemed", "felt", "looked", "sounded"];
    private static readonly string[] Intensifiers = ["very", "really", "quite", "so", "rather", "truly"];
    private static readonly string[] Negations = ["not", "never"];
    private static readonly string[] Positive = ["good", "great", "excellent", "wonderful", "fun", "superb", "lovely", "brilliant", "charming", "pleasant"];
    private static readonly string[] Negative = ["bad", "awful", "boring", "terrible", "dull", "poor", "weak", "horrible", "bland", "annoying"];
    private static readonly string[] Neutral = ["long", "short", "french", "loud", "quiet", "old", "new", "red", "cheap", "big"];

    /// <summary>The labels, as the data writes them.</summary>
    public static readonly string[] Labels = ["negative", "neutral", "positive"];

    /// <summary>Example <paramref name="index"/> of the stream <paramref name="seed"/>: (label, text).</summary>
    public static (string Label, string Text) Example(ulong seed, long index)
    {
        var random = new GeneratorRandom(seed, (ulong)index);
        var (first, firstPolarity) = Clause(ref random);
        if (!random.Chance(0.4)) return (Labels[firstPolarity + 1], first);
        var (second, secondPolarity) = Clause(ref random);
        var polarity = secondPolarity != 0 ? secondPolarity : firstPolarity;
        return (Labels[polarity + 1], $"{first} but {second}");
    }

    /// <summary><paramref name="count"/> examples of the stream <paramref name="seed"/>.</summary>
    public static IReadOnlyList<(string Label, string Text)> Generate(ulong seed, int count) =>
        Enumerable.Range(0, count).Select(i => Example(seed, i)).ToList();

    private static (string Text, int Polarity) Clause(ref GeneratorRandom random)
    {
        var words = new List<string> { random.Pick(Subjects), random.Pick(Verbs) };
        var negated = random.Chance(0.35);
        if (negated) words.Add(random.Pick(Negations));
        if (random.Chance(0.5)) words.Add(random.Pick(Intensifiers));
        var kind = random.Next(3);
        var adjective = kind switch { 0 => random.Pick(Negative), 1 => random.Pick(Neutral), _ => random.Pick(Positive) };
        words.Add(adjective);
        var polarity = kind - 1;
        return (string.Join(' ', words), negated ? -polarity : polarity);
    }
}
