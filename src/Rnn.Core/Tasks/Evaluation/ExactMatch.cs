namespace GpuRnn.Tasks;

/// <summary>
/// Exact match of generated outputs against the examples' <see cref="SequenceExample.Output"/>
/// (seq2seq, caption): how many are right, and the first few mistakes for the report.
/// </summary>
/// <param name="Right">Outputs equal to their example's, token for token.</param>
/// <param name="Total">Examples judged.</param>
/// <param name="Mistakes">The report's lines for the first <see cref="MistakesShown"/> wrong outputs ("some mistakes:" first), or none.</param>
public sealed record ExactMatch(int Right, int Total, IReadOnlyList<string> Mistakes)
{
    /// <summary>Wrong outputs shown in a report.</summary>
    public const int MistakesShown = 5;

    /// <summary>Share of outputs right, in [0, 1].</summary>
    public double Score => (double)Right / Total;

    /// <summary>Judges <paramref name="outputs"/> [N][*] against <paramref name="examples"/> [N].</summary>
    /// <param name="examples">The examples, with their expected outputs.</param>
    /// <param name="outputs">The generated output of each example.</param>
    /// <param name="describe">The line of a wrong output (example, its output).</param>
    public static ExactMatch Of(IReadOnlyList<SequenceExample> examples, int[][] outputs, Func<SequenceExample, int[], string> describe)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(describe);
        var right = 0;
        var mistakes = new List<string>();
        for (var i = 0; i < examples.Count; i++)
        {
            if (outputs[i].AsSpan().SequenceEqual(examples[i].Output)) right++;
            else if (mistakes.Count < MistakesShown) mistakes.Add(describe(examples[i], outputs[i]));
        }
        return new ExactMatch(right, examples.Count, mistakes.Count > 0 ? ["some mistakes:", .. mistakes] : []);
    }

    /// <summary>The summary's opening: <c>exact match 97.2% (486 of 500, greedy)</c>.</summary>
    public string Describe(int beam) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"exact match {100 * Score:F1}% ({Right} of {Total}, {(beam > 1 ? $"beam {beam}" : "greedy")})");
}
