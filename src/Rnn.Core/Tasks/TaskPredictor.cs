using System.Globalization;

namespace GpuRnn;

/// <summary>
/// Runs a task model on unlabelled input lines and formats what it predicts, one result per input:
/// <list type="bullet">
/// <item>classify: a text per line (or <c>sequence_id,x1,...,xF</c> rows) to <c>label&lt;TAB&gt;probability</c> (numeric: <c>id&lt;TAB&gt;label&lt;TAB&gt;probability</c>);</item>
/// <item>tag: a sentence per line (tokens separated by spaces) to CoNLL lines <c>token&lt;TAB&gt;tag</c>, a blank line after each sentence;</item>
/// <item>seq2seq: a source per line to its output (greedy, or beam search);</item>
/// <item>adding: <c>v1,m1 v2,m2 ...</c> to the predicted sum;</item>
/// <item>copy: input symbols to the predicted symbol of every step;</item>
/// <item>wordlm: a text per line to its most probable next words with their probabilities.</item>
/// </list>
/// </summary>
public static class TaskPredictor
{
    /// <summary>The output lines for <paramref name="lines"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="lines">The input lines.</param>
    /// <param name="source">What the input is (a path or standard input), for messages.</param>
    /// <param name="separator">Field separator of numeric classification rows (',' or tab).</param>
    /// <param name="beam">Seq2seq beam width (1 = greedy).</param>
    /// <param name="top">Word model: next words shown.</param>
    /// <exception cref="InvalidDataException">A line is malformed; the message names the source and the line.</exception>
    public static IReadOnlyList<string> Predict(TaskModel model, IReadOnlyList<DataLine> lines, string source, char separator = '\t', int beam = 1, int top = 5)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(lines);
        var spec = model.Spec;
        if (!lines.Any(l => !DataFile.IsBlankOrComment(l.Text))) throw new InvalidDataException($"{source} has no input lines");
        switch (spec.Task)
        {
            case TaskKind.Classify:
            {
                var file = ClassificationFile.Parse(lines, source, separator, labelled: false, featureSize: spec.FeatureSize);
                var examples = TaskExamples.FromClassificationFile(spec, file);
                var probabilities = ((SequenceClassifier)model).Predict(examples);
                return examples.Select((e, i) =>
                {
                    var best = HeadMath.ArgMax(probabilities[i]);
                    var result = I($"{spec.OutputVocabulary![best]}\t{probabilities[i][best]:F4}");
                    return e.Id is null ? result : $"{e.Id}\t{result}";
                }).ToList();
            }
            case TaskKind.Adding:
            {
                var values = ((SequenceClassifier)model).Predict(TaskExamples.FromAddingLines(lines, source, labelled: false));
                return values.Select(v => I($"{v[0]:F4}")).ToList();
            }
            case TaskKind.Tag:
            {
                var sentences = ConllFile.ParseUntagged(lines);
                var predicted = ((SequenceTagger)model).Predict(sentences.Select(s => TaskExamples.FromSentence(spec, s, source)).ToList());
                var output = new List<string>();
                for (var i = 0; i < sentences.Count; i++)
                {
                    for (var t = 0; t < sentences[i].Tokens.Length; t++) output.Add($"{sentences[i].Tokens[t]}\t{spec.OutputVocabulary![predicted[i][t]]}");
                    output.Add("");
                }
                return output;
            }
            case TaskKind.Copy:
            {
                var predicted = ((SequenceTagger)model).Predict(TaskExamples.FromSymbolLines(lines, source, labelled: false));
                return predicted.Select(p => string.Join(' ', p.Select(id => spec.OutputVocabulary![id]))).ToList();
            }
            case TaskKind.Seq2Seq:
            {
                var examples = ParallelTextFile.ParseSources(lines).Select(p => TaskExamples.FromPair(spec, p, source)).ToList();
                return ((Seq2SeqModel)model).Decode(examples, beam).Select(o => TaskEvaluator.Text(spec.OutputVocabulary!, o, spec.OutputTokenization)).ToList();
            }
            default:
            {
                var tagger = (SequenceTagger)model;
                var output = new List<string>();
                foreach (var (number, text) in lines)
                {
                    if (string.IsNullOrWhiteSpace(text)) continue;
                    var ids = TaskExamples.Words(spec, text);
                    if (ids.Length == 0) throw DataFile.Error(source, number, "the line has no words");
                    var rows = tagger.LogProbabilities([new SequenceExample { Length = ids.Length, Tokens = ids }])[0];
                    var v = spec.OutputSize;
                    var last = rows.AsSpan((ids.Length - 1) * v, v).ToArray();
                    var best = Enumerable.Range(0, v).OrderByDescending(w => last[w]).ThenBy(w => w).Take(top);
                    output.Add(string.Join("  ", best.Select(w => I($"{spec.OutputVocabulary![w]} {Math.Exp(last[w]):F3}"))));
                }
                return output;
            }
        }
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
