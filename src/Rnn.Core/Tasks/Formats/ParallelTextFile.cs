namespace GpuRnn.Tasks.Formats;

/// <summary>A source text and its target (null for prediction input).</summary>
/// <param name="Source">The input text.</param>
/// <param name="Target">The output text, or null.</param>
/// <param name="Line">Its line.</param>
public sealed record TextPair(string Source, string? Target, int Line);

/// <summary>Sequence-to-sequence data: one pair per line, <c>source&lt;TAB&gt;target</c>; blank lines and '#' comments are skipped.</summary>
public static class ParallelTextFile
{
    /// <summary>Reads a file of pairs.</summary>
    /// <exception cref="InvalidDataException">A line has no tab, more than one, or an empty side; the message names the file and the line.</exception>
    public static IReadOnlyList<TextPair> Read(string path) => Parse(DataFile.ReadLines(path), DataFile.Describe(path));

    /// <summary>Parses the lines of a file of pairs.</summary>
    public static IReadOnlyList<TextPair> Parse(IReadOnlyList<DataLine> lines, string source)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var pairs = new List<TextPair>();
        foreach (var (number, line) in lines)
        {
            if (DataFile.IsBlankOrComment(line)) continue;
            var at = line.IndexOf('\t');
            if (at < 0) throw DataFile.Error(source, number, "expected source<TAB>target but the line has no tab");
            if (line.IndexOf('\t', at + 1) >= 0)
                throw DataFile.Error(source, number, $"expected source<TAB>target but the line has {line.Count(c => c == '\t') + 1} tab-separated fields (a text may not hold a tab)");
            var s = line[..at].Trim();
            var t = line[(at + 1)..].Trim();
            if (s.Length == 0) throw DataFile.Error(source, number, "the source text is empty");
            if (t.Length == 0) throw DataFile.Error(source, number, "the target text is empty");
            pairs.Add(new TextPair(s, t, number));
        }
        if (pairs.Count == 0) throw new InvalidDataException($"{source} has no pairs (expected source<TAB>target lines)");
        return pairs;
    }

    /// <summary>Source texts to translate, one per line (prediction input).</summary>
    public static IReadOnlyList<TextPair> ParseSources(IReadOnlyList<DataLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return lines.Where(l => !string.IsNullOrWhiteSpace(l.Text)).Select(l => new TextPair(l.Text.Trim(), null, l.Number)).ToList();
    }
}
