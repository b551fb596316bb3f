namespace GpuRnn.Tasks.BuiltIn;

/// <summary>
/// The built-in data of <c>wordlm</c>: a text of made-up words (about 2,900 of them) in sentences
/// such as <c>the kobari ti luvem the sefa .</c>. Nouns are drawn with Zipf's law, and each noun
/// prefers a few verbs, so a model that remembers the subject predicts the verb better. Generated
/// from a seed by the project itself; real text works the same way (<c>--data</c>).
/// </summary>
public static class SyntheticWords
{
    /// <summary>The name shown for the data in logs and checkpoints.</summary>
    public const string Name = "built-in synthetic words";

    private static readonly string[] Syllables = ["ba", "ko", "ri", "te", "mu", "sa", "lo", "ne", "fi", "du", "ga", "pe", "vi", "zo", "ha", "ju"];
    // Two syllables make 256 distinct verbs or adjectives, three 4,096 nouns.
    private const int Nouns = 2400, Verbs = 250, Adjectives = 250;

    private static string Word(int index, int syllables, string ending)
    {
        var s = "";
        for (var i = 0; i < syllables; i++, index /= Syllables.Length) s += Syllables[index % Syllables.Length];
        return s + ending;
    }

    /// <summary><paramref name="sentences"/> sentences of the stream <paramref name="seed"/>, one per line.</summary>
    public static string Generate(ulong seed, int sentences)
    {
        var random = new GeneratorRandom(seed, 0x57D);
        // Zipf's law over the nouns: p(rank r) proportional to 1 / r.
        var cumulative = new double[Nouns];
        double total = 0;
        for (var r = 0; r < Nouns; r++) cumulative[r] = total += 1.0 / (r + 1);
        int Noun(ref GeneratorRandom g)
        {
            var u = g.NextDouble() * total;
            var i = Array.BinarySearch(cumulative, u);
            return i >= 0 ? i : Math.Min(~i, Nouns - 1);
        }
        var text = new System.Text.StringBuilder();
        for (var s = 0; s < sentences; s++)
        {
            var subject = Noun(ref random);
            text.Append("the ");
            if (random.Chance(0.5)) text.Append(Word(random.Next(Adjectives), 2, "ti")).Append(' ');
            text.Append(Word(subject, 3, "")).Append(' ');
            text.Append(Word((subject * 7 + random.Next(3)) % Verbs, 2, "m")).Append(' ');
            text.Append(random.Chance(0.3) ? "a " : "the ").Append(Word(Noun(ref random), 3, "")).Append(" .\n");
        }
        return text.ToString();
    }
}
