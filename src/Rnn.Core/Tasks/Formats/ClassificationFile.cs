namespace GpuRnn.Tasks.Formats;

/// <summary>A labelled text of a classification file.</summary>
/// <param name="Label">The label, or null when the file has none (prediction input).</param>
/// <param name="Text">The text.</param>
/// <param name="Line">Its line.</param>
public sealed record LabelledText(string? Label, string Text, int Line);

/// <summary>A sequence of numeric feature vectors of a classification file (consecutive rows with one id).</summary>
/// <param name="Id">The sequence id.</param>
/// <param name="Label">The label, or null when the file has none (prediction input).</param>
/// <param name="Features">The rows, step-major [Length * F].</param>
/// <param name="Length">Rows (steps).</param>
/// <param name="Line">The line of its first row.</param>
public sealed record LabelledSeries(string Id, string? Label, double[] Features, int Length, int Line);

/// <summary>
/// The data of many-to-one classification. Either texts, one per line as
/// <c>label&lt;TAB&gt;text</c> (<c>label,text</c> in a <c>.csv</c> file, or in any file whose first line has commas and no tab;
/// the text is the rest of the line), or numeric sequences, one row per step as <c>sequence_id&lt;TAB&gt;label&lt;TAB&gt;x1&lt;TAB&gt;...&lt;TAB&gt;xF</c>,
/// a sequence's rows consecutive and in time order. A file is numeric when its first row has at
/// least three fields and every one from the third on is a number; a first line whose first field
/// is <c>sequence_id</c> or <c>id</c> is a header. Blank lines and lines starting with '#' are
/// skipped. Without labels (prediction input) a line is just the text, or <c>sequence_id,x1,...,xF</c>.
/// </summary>
public sealed class ClassificationFile
{
    private ClassificationFile(string source, IReadOnlyList<LabelledText> texts, IReadOnlyList<LabelledSeries> series, int featureSize)
    {
        Source = source;
        Texts = texts;
        Series = series;
        FeatureSize = featureSize;
    }

    /// <summary>Where it was read from, for messages.</summary>
    public string Source { get; }

    /// <summary>Whether it holds numeric sequences rather than texts.</summary>
    public bool IsNumeric => FeatureSize > 0;

    /// <summary>Features per step F of numeric sequences; 0 for texts.</summary>
    public int FeatureSize { get; }

    /// <summary>The texts (empty for a numeric file).</summary>
    public IReadOnlyList<LabelledText> Texts { get; }

    /// <summary>The numeric sequences (empty for a text file).</summary>
    public IReadOnlyList<LabelledSeries> Series { get; }

    /// <summary>Number of examples.</summary>
    public int Count => IsNumeric ? Series.Count : Texts.Count;

    /// <summary>Reads a labelled file, detecting texts or numeric sequences.</summary>
    /// <exception cref="InvalidDataException">A line is malformed; the message names the file and the line.</exception>
    public static ClassificationFile Read(string path)
    {
        var lines = DataFile.ReadLines(path);
        return Parse(lines, DataFile.Describe(path), DataFile.Separator(path, lines), labelled: true, featureSize: null);
    }

    /// <summary>
    /// Parses lines. <paramref name="featureSize"/> null detects the kind; 0 reads texts; F &gt; 0
    /// reads numeric sequences of F features per row.
    /// </summary>
    public static ClassificationFile Parse(IReadOnlyList<DataLine> lines, string source, char separator, bool labelled, int? featureSize)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var data = lines.Where(l => !DataFile.IsBlankOrComment(l.Text)).ToList();
        if (data.Count == 0) throw new InvalidDataException($"{source} has no examples (expected {Expected(separator, labelled, featureSize ?? 0)})");
        var first = data[0].Text.Split(separator);
        var header = first[0].Trim().ToLowerInvariant() is "id" or "sequence_id";
        if (header) data.RemoveAt(0);
        var numeric = featureSize is { } f ? f > 0 : header || LooksNumeric(first, labelled);
        if (!numeric) return new ClassificationFile(source, ReadTexts(data, source, separator, labelled), [], 0);
        if (data.Count == 0) throw new InvalidDataException($"{source} has a header but no rows");
        var fields = data[0].Text.Split(separator).Length - (labelled ? 2 : 1);
        var size = featureSize ?? fields;
        if (size <= 0) throw DataFile.Error(source, data[0].Number, $"expected {Expected(separator, labelled, 1)} but found {data[0].Text.Split(separator).Length} fields");
        return new ClassificationFile(source, [], ReadSeries(data, source, separator, labelled, size), size);
    }

    private static bool LooksNumeric(string[] fields, bool labelled)
    {
        var skip = labelled ? 2 : 1;
        if (fields.Length <= skip) return false;
        // Any number counts here, NaN and 1e39 included, so that a numeric file whose first row has
        // a bad value gets the numeric reader's error naming it, not a reading as text.
        for (var i = skip; i < fields.Length; i++) if (!DataFile.TryAnyNumber(fields[i], out _)) return false;
        return true;
    }

    private static string Expected(char separator, bool labelled, int featureSize)
    {
        var s = DataFile.SeparatorName(separator);
        if (featureSize > 0) return labelled ? $"sequence_id{s}label{s}x1{s}...{s}xF rows" : $"sequence_id{s}x1{s}...{s}xF rows";
        return labelled ? $"label{s}text lines" : "one text per line";
    }

    private static List<LabelledText> ReadTexts(List<DataLine> lines, string source, char separator, bool labelled)
    {
        var texts = new List<LabelledText>(lines.Count);
        foreach (var (number, line) in lines)
        {
            if (!labelled)
            {
                texts.Add(new LabelledText(null, line.Trim(), number));
                continue;
            }
            var at = line.IndexOf(separator);
            if (at < 0)
                throw DataFile.Error(source, number, $"expected label{DataFile.SeparatorName(separator)}text but the line has no {(separator == '\t' ? "tab" : $"'{separator}'")}");
            var label = line[..at].Trim();
            var text = line[(at + 1)..].Trim();
            if (label.Length == 0) throw DataFile.Error(source, number, "the label is empty");
            if (text.Length == 0) throw DataFile.Error(source, number, $"the text of label '{label}' is empty");
            texts.Add(new LabelledText(label, text, number));
        }
        return texts;
    }

    private static List<LabelledSeries> ReadSeries(List<DataLine> lines, string source, char separator, bool labelled, int featureSize)
    {
        var series = new List<LabelledSeries>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var skip = labelled ? 2 : 1;
        string? id = null, label = null;
        int start = 0, length = 0;
        var rows = new List<double>();
        void Close()
        {
            if (id is null) return;
            series.Add(new LabelledSeries(id, label, rows.ToArray(), length, start));
            rows.Clear();
            length = 0;
        }
        foreach (var (number, line) in lines)
        {
            var fields = line.Split(separator);
            if (fields.Length != skip + featureSize)
                throw DataFile.Error(source, number, $"expected {skip + featureSize} fields ({Expected(separator, labelled, featureSize)} with {featureSize} features) but found {fields.Length}");
            var rowId = fields[0].Trim();
            if (rowId.Length == 0) throw DataFile.Error(source, number, "the sequence id is empty");
            var rowLabel = labelled ? fields[1].Trim() : null;
            if (labelled && rowLabel!.Length == 0) throw DataFile.Error(source, number, "the label is empty");
            if (rowId != id)
            {
                Close();
                if (!seen.Add(rowId))
                    throw DataFile.Error(source, number, $"sequence '{rowId}' continues after rows of other sequences (a sequence's rows must be consecutive)");
                id = rowId;
                label = rowLabel;
                start = number;
            }
            else if (labelled && rowLabel != label)
                throw DataFile.Error(source, number, $"sequence '{rowId}' has label '{rowLabel}' here but '{label}' on line {start}");
            for (var i = skip; i < fields.Length; i++)
            {
                if (!DataFile.TryNumber(fields[i], out var v))
                    throw DataFile.Error(source, number, $"feature {i - skip + 1} is '{fields[i].Trim()}', {DataFile.NumberProblem(fields[i])}");
                rows.Add(v);
            }
            length++;
        }
        Close();
        return series;
    }
}
