using System.Globalization;

namespace GpuRnn.Tasks;

/// <summary>
/// Turns the raw data of each task (texts, CoNLL sentences, pairs, symbol lines) into
/// <see cref="SequenceExample"/>s with a spec's vocabularies; errors name the source and the line.
/// </summary>
public static class TaskExamples
{
    /// <summary>A text classification example; <paramref name="label"/> null for prediction input.</summary>
    public static SequenceExample FromText(TaskSpec spec, string text, string? label, string source, int line)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var where = DataFile.Where(source, line);
        var tokens = Tokenizer.Split(text, spec.InputTokenization);
        if (tokens.Length == 0) throw DataFile.Error(source, line, "the text has no tokens");
        return new SequenceExample
        {
            Length = tokens.Length,
            Tokens = spec.InputVocabulary!.Encode(tokens, where),
            Label = label is null ? -1 : spec.OutputVocabulary!.EncodeToken(label, where + ": the label"),
            Line = line,
        };
    }

    /// <summary>A numeric classification example.</summary>
    public static SequenceExample FromSeries(TaskSpec spec, LabelledSeries series, string source)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(series);
        var where = DataFile.Where(source, series.Line);
        if (series.Features.Length != series.Length * spec.FeatureSize)
            throw new InvalidDataException($"{where}: sequence '{series.Id}' has {series.Features.Length / Math.Max(1, series.Length)} features per row but the model reads {spec.FeatureSize}");
        return new SequenceExample
        {
            Length = series.Length,
            Features = series.Features,
            Label = series.Label is null ? -1 : spec.OutputVocabulary!.EncodeToken(series.Label, where + ": the label"),
            Id = series.Id,
            Line = series.Line,
        };
    }

    /// <summary>Every example of a classification file read with the spec's kind of input.</summary>
    public static IReadOnlyList<SequenceExample> FromClassificationFile(TaskSpec spec, ClassificationFile file)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(file);
        if (file.IsNumeric != !spec.TokenInputs)
            throw new InvalidDataException($"{file.Source} holds {(file.IsNumeric ? "numeric sequences" : "texts")} but the model reads {(spec.TokenInputs ? "texts" : "numeric sequences")}");
        return file.IsNumeric
            ? file.Series.Select(s => FromSeries(spec, s, file.Source)).ToList()
            : file.Texts.Select(t => FromText(spec, t.Text, t.Label, file.Source, t.Line)).ToList();
    }

    /// <summary>A tagging example; tags null for prediction input.</summary>
    public static SequenceExample FromSentence(TaskSpec spec, TaggedSentence sentence, string source)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(sentence);
        var where = DataFile.Where(source, sentence.Line);
        return new SequenceExample
        {
            Length = sentence.Tokens.Length,
            Tokens = spec.InputVocabulary!.Encode(sentence.Tokens, where),
            // A sentence's tokens are on consecutive lines, so token i's tag is on the sentence's line + i.
            Targets = sentence.Tags?.Select((tag, i) => spec.OutputVocabulary!.EncodeToken(tag, DataFile.Where(source, sentence.Line + i) + ": the tag")).ToArray(),
            Line = sentence.Line,
        };
    }

    /// <summary>A sequence-to-sequence example; the target null for prediction input.</summary>
    public static SequenceExample FromPair(TaskSpec spec, TextPair pair, string source)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(pair);
        var where = DataFile.Where(source, pair.Line);
        var tokens = Tokenizer.Split(pair.Source, spec.InputTokenization);
        if (tokens.Length == 0) throw DataFile.Error(source, pair.Line, "the source has no tokens");
        int[]? output = null;
        if (pair.Target is not null)
        {
            var target = Tokenizer.Split(pair.Target, spec.OutputTokenization);
            if (target.Length == 0) throw DataFile.Error(source, pair.Line, "the target has no tokens");
            output = spec.OutputVocabulary!.Encode(target, where);
        }
        return new SequenceExample { Length = tokens.Length, Tokens = spec.InputVocabulary!.Encode(tokens, where), Output = output, Line = pair.Line };
    }

    /// <summary>
    /// Adding-problem lines: <c>target&lt;TAB&gt;v1,m1 v2,m2 ...</c> (one value,marker pair per step), or
    /// without the target and tab for prediction input.
    /// </summary>
    public static IReadOnlyList<SequenceExample> FromAddingLines(IReadOnlyList<DataLine> lines, string source, bool labelled)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var examples = new List<SequenceExample>();
        foreach (var (number, line) in lines)
        {
            if (DataFile.IsBlankOrComment(line)) continue;
            var text = line;
            double value = 0;
            if (labelled)
            {
                var tab = line.IndexOf('\t');
                if (tab < 0) throw DataFile.Error(source, number, "expected target<TAB>v1,m1 v2,m2 ... but the line has no tab");
                if (!DataFile.TryNumber(line[..tab], out value)) throw DataFile.Error(source, number, $"the target '{line[..tab].Trim()}' is {DataFile.NumberProblem(line[..tab])}");
                text = line[(tab + 1)..];
            }
            var steps = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (steps.Length < 2) throw DataFile.Error(source, number, $"expected at least 2 steps of value,marker but found {steps.Length}");
            var features = new double[steps.Length * 2];
            for (var t = 0; t < steps.Length; t++)
            {
                var parts = steps[t].Split(',');
                if (parts.Length != 2)
                    throw DataFile.Error(source, number, $"step {t + 1} is '{steps[t]}', not value,marker (two numbers and a comma)");
                for (var k = 0; k < 2; k++)
                {
                    if (!DataFile.TryNumber(parts[k], out features[t * 2 + k]))
                        throw DataFile.Error(source, number, $"step {t + 1} is '{steps[t]}', whose {(k == 0 ? "value" : "marker")} '{parts[k].Trim()}' is {DataFile.NumberProblem(parts[k])}");
                }
                if (features[t * 2 + 1] is not (0 or 1))
                    throw DataFile.Error(source, number, $"step {t + 1} is '{steps[t]}', whose marker {parts[1].Trim()} is not 0 or 1");
            }
            examples.Add(new SequenceExample { Length = steps.Length, Features = features, Value = value, Line = number });
        }
        if (examples.Count == 0) throw new InvalidDataException($"{source} has no sequences (expected {(labelled ? "target<TAB>" : "")}v1,m1 v2,m2 ... lines)");
        return examples;
    }

    /// <summary>
    /// Copy-task lines: input symbols and target symbols (digits 0-9 separated by spaces, as many
    /// targets as inputs) separated by a tab, or the inputs alone for prediction input.
    /// </summary>
    public static IReadOnlyList<SequenceExample> FromSymbolLines(IReadOnlyList<DataLine> lines, string source, bool labelled)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var vocabulary = CopyProblem.Vocabulary;
        var examples = new List<SequenceExample>();
        foreach (var (number, line) in lines)
        {
            if (DataFile.IsBlankOrComment(line)) continue;
            var where = DataFile.Where(source, number);
            var parts = line.Split('\t');
            if (labelled && parts.Length != 2) throw DataFile.Error(source, number, "expected input symbols<TAB>target symbols");
            var inputs = vocabulary.Encode(parts[0].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries), where + ": an input symbol");
            if (inputs.Length == 0) throw DataFile.Error(source, number, "the line has no input symbols");
            int[]? targets = null;
            if (labelled)
            {
                targets = vocabulary.Encode(parts[1].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries), where + ": a target symbol");
                if (targets.Length != inputs.Length)
                    throw DataFile.Error(source, number, $"{inputs.Length} input symbols but {targets.Length} targets (one target per step)");
            }
            examples.Add(new SequenceExample { Length = inputs.Length, Tokens = inputs, Targets = targets, Line = number });
        }
        if (examples.Count == 0) throw new InvalidDataException($"{source} has no sequences (expected symbol lines such as '3 1 0 9 0 0')");
        return examples;
    }

    /// <summary>The ids of a text's words, unknown words as <see cref="Vocabulary.Unknown"/>.</summary>
    public static int[] Words(TaskSpec spec, string text)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.InputVocabulary!.Encode(Tokenizer.Split(text, spec.InputTokenization), "the text");
    }

    /// <summary>
    /// Word language-model examples: consecutive, non-overlapping windows of <paramref name="window"/>
    /// words, each step's target the word after it (the last window may be shorter).
    /// </summary>
    public static IReadOnlyList<SequenceExample> Windows(int[] words, int window)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (window <= 0) throw new ArgumentException($"the window must be positive, got {window}");
        var examples = new List<SequenceExample>();
        for (var start = 0; start + 1 < words.Length; start += window)
        {
            var n = Math.Min(window, words.Length - 1 - start);
            examples.Add(new SequenceExample { Length = n, Tokens = words[start..(start + n)], Targets = words[(start + 1)..(start + n + 1)] });
        }
        return examples;
    }

    /// <summary>A number for messages.</summary>
    internal static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
}
