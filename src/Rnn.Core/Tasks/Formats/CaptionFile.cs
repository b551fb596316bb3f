namespace GpuRnn.Tasks.Formats;

/// <summary>A feature vector and its caption (null for prediction input).</summary>
/// <param name="Features">The vector [F].</param>
/// <param name="Caption">The sentence describing it, or null.</param>
/// <param name="Line">Its line.</param>
public sealed record CaptionedVector(double[] Features, string? Caption, int Line);

/// <summary>
/// Captioning data: one example per line, <c>f1,f2,...,fF&lt;TAB&gt;caption</c> (F finite numbers
/// separated by commas), or the numbers alone for prediction input; every line has the same F.
/// Blank lines and '#' comments are skipped.
/// </summary>
public static class CaptionFile
{
    /// <summary>Reads a file of captioned vectors.</summary>
    /// <param name="path">The file.</param>
    /// <param name="featureSize">The F every line must have, or 0 to take the first line's.</param>
    /// <exception cref="InvalidDataException">A line is malformed; the message names the file and the line.</exception>
    public static IReadOnlyList<CaptionedVector> Read(string path, int featureSize = 0) =>
        Parse(DataFile.ReadLines(path), DataFile.Describe(path), labelled: true, featureSize);

    /// <summary>Parses the lines of a caption file, or (<paramref name="labelled"/> false) of feature vectors alone.</summary>
    /// <param name="lines">The lines.</param>
    /// <param name="source">The source for messages.</param>
    /// <param name="labelled">Whether each line ends with a tab and a caption.</param>
    /// <param name="featureSize">The F every line must have, or 0 to take the first line's.</param>
    /// <exception cref="InvalidDataException">A line is malformed, or there is none; the message names the source and the line.</exception>
    public static IReadOnlyList<CaptionedVector> Parse(IReadOnlyList<DataLine> lines, string source, bool labelled, int featureSize = 0)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentOutOfRangeException.ThrowIfNegative(featureSize);
        var form = labelled ? "f1,f2,...,fF<TAB>caption" : "f1,f2,...,fF";
        var result = new List<CaptionedVector>();
        foreach (var (number, line) in lines)
        {
            if (DataFile.IsBlankOrComment(line)) continue;
            var fields = line.Split('\t');
            if (labelled && fields.Length != 2)
                throw DataFile.Error(source, number, fields.Length == 1 ? $"expected {form} but the line has no tab" : $"expected {form} but the line has {fields.Length} tab-separated fields");
            if (!labelled && fields.Length != 1)
                throw DataFile.Error(source, number, $"expected {form} (a vector without a caption) but the line has a tab");
            var parts = fields[0].Split(',');
            if (featureSize > 0 && parts.Length != featureSize)
                throw DataFile.Error(source, number, $"expected {featureSize} features but found {parts.Length}");
            var features = new double[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                if (!DataFile.TryNumber(parts[i], out features[i]))
                    throw DataFile.Error(source, number, $"feature {i + 1} is '{parts[i].Trim()}', {DataFile.NumberProblem(parts[i])}");
            }
            featureSize = parts.Length;
            string? caption = null;
            if (labelled)
            {
                caption = fields[1].Trim();
                if (caption.Length == 0) throw DataFile.Error(source, number, "the caption is empty (expected at least one word after the tab)");
            }
            result.Add(new CaptionedVector(features, caption, number));
        }
        if (result.Count == 0) throw new InvalidDataException($"{source} has no vectors (expected {form} lines)");
        return result;
    }
}
