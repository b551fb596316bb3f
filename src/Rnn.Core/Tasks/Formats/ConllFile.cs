namespace GpuRnn.Tasks.Formats;

/// <summary>A sentence of a CoNLL file: tokens and their tags (tags null for prediction input).</summary>
/// <param name="Tokens">The tokens.</param>
/// <param name="Tags">One tag per token, or null.</param>
/// <param name="Line">The line of its first token.</param>
public sealed record TaggedSentence(string[] Tokens, string[]? Tags, int Line);

/// <summary>
/// CoNLL files for sequence labelling: one token per line with its tag in the last
/// white-space-separated column (<c>EU B-ORG</c>, or CoNLL-2003's four columns), a blank line
/// between sentences; <c>-DOCSTART-</c> lines are skipped.
/// </summary>
public static class ConllFile
{
    /// <summary>Reads a tagged CoNLL file.</summary>
    /// <exception cref="InvalidDataException">A line lacks a tag, or there is no sentence; the message names the file and the line.</exception>
    public static IReadOnlyList<TaggedSentence> Read(string path) => Parse(DataFile.ReadLines(path), DataFile.Describe(path));

    /// <summary>Parses the lines of a CoNLL file.</summary>
    public static IReadOnlyList<TaggedSentence> Parse(IReadOnlyList<DataLine> lines, string source)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var sentences = new List<TaggedSentence>();
        var tokens = new List<string>();
        var tags = new List<string>();
        var start = 0;
        void Close()
        {
            if (tokens.Count > 0) sentences.Add(new TaggedSentence([.. tokens], [.. tags], start));
            tokens.Clear();
            tags.Clear();
        }
        foreach (var (number, line) in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                Close();
                continue;
            }
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields[0] == "-DOCSTART-") continue;
            if (fields.Length < 2)
                throw DataFile.Error(source, number, $"expected a token and its tag separated by white space but found '{line.Trim()}' alone");
            if (tokens.Count == 0) start = number;
            tokens.Add(fields[0]);
            tags.Add(fields[^1]);
        }
        Close();
        if (sentences.Count == 0) throw new InvalidDataException($"{source} has no sentences (expected a token and its tag per line, a blank line between sentences)");
        return sentences;
    }

    /// <summary>Sentences to tag, one per line, tokens separated by white space (prediction input).</summary>
    public static IReadOnlyList<TaggedSentence> ParseUntagged(IReadOnlyList<DataLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return lines.Where(l => !string.IsNullOrWhiteSpace(l.Text))
            .Select(l => new TaggedSentence(l.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries), null, l.Number)).ToList();
    }
}
