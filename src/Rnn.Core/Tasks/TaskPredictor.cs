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
        return Predict(model, Read(model.Spec, lines, source, separator), beam, top);
    }

    /// <summary>
    /// Reads and checks the input lines for a model of <paramref name="spec"/> without running it,
    /// so that a malformed line is reported before a backend starts.
    /// </summary>
    /// <exception cref="InvalidDataException">There is no input, a line is blank or malformed; the message names the source and the line.</exception>
    public static PredictionInput Read(TaskSpec spec, IReadOnlyList<DataLine> lines, string source, char separator = '\t')
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(lines);
        if (!lines.Any(l => !DataFile.IsBlankOrComment(l.Text))) throw new InvalidDataException($"{source} has no input lines");
        // Results line up with inputs: a blank line is refused rather than silently given no result.
        foreach (var (number, text) in lines)
        {
            if (string.IsNullOrWhiteSpace(text))
                throw DataFile.Error(source, number, "the line is blank; predict gives one result per input line, so every line must be an input (remove blank lines)");
        }
        switch (spec.Task)
        {
            case TaskKind.Classify:
                return new PredictionInput(spec, TaskExamples.FromClassificationFile(spec, ClassificationFile.Parse(lines, source, separator, labelled: false, featureSize: spec.FeatureSize)), null);
            case TaskKind.Adding:
                return new PredictionInput(spec, TaskExamples.FromAddingLines(lines, source, labelled: false), null);
            case TaskKind.Tag:
            {
                var sentences = ConllFile.ParseUntagged(lines);
                return new PredictionInput(spec, sentences.Select(s => TaskExamples.FromSentence(spec, s, source)).ToList(), sentences);
            }
            case TaskKind.Copy:
                return new PredictionInput(spec, TaskExamples.FromSymbolLines(lines, source, labelled: false), null);
            case TaskKind.Seq2Seq:
                return new PredictionInput(spec, ParallelTextFile.ParseSources(lines).Select(p => TaskExamples.FromPair(spec, p, source)).ToList(), null);
            default:
            {
                var examples = new List<SequenceExample>();
                foreach (var (number, text) in lines)
                {
                    if (string.IsNullOrWhiteSpace(text)) continue;
                    var ids = TaskExamples.Words(spec, text);
                    if (ids.Length == 0) throw DataFile.Error(source, number, "the line has no words");
                    examples.Add(new SequenceExample { Length = ids.Length, Tokens = ids, Line = number });
                }
                return new PredictionInput(spec, examples, null);
            }
        }
    }

    /// <summary>The output lines for inputs read by <see cref="Read"/> with this model's spec (or its checkpoint's).</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">The inputs.</param>
    /// <param name="beam">Seq2seq beam width (1 = greedy).</param>
    /// <param name="top">Word model: next words shown.</param>
    public static IReadOnlyList<string> Predict(TaskModel model, PredictionInput input, int beam = 1, int top = 5)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        var spec = model.Spec;
        if (input.Spec.Task != spec.Task) throw new ArgumentException($"the inputs were read for a {input.Spec.Task.ToName()} model, not for this {spec.Task.ToName()} model");
        var examples = input.Examples;
        switch (spec.Task)
        {
            case TaskKind.Classify:
            {
                var probabilities = ((SequenceClassifier)model).Predict(examples);
                return examples.Select((e, i) =>
                {
                    var best = HeadMath.ArgMax(probabilities[i]);
                    var result = I($"{spec.OutputVocabulary![best]}\t{probabilities[i][best]:F4}");
                    return e.Id is null ? result : $"{e.Id}\t{result}";
                }).ToList();
            }
            case TaskKind.Adding:
                return ((SequenceClassifier)model).Predict(examples).Select(v => I($"{v[0]:F4}")).ToList();
            case TaskKind.Tag:
            {
                var sentences = input.Sentences!;
                var predicted = ((SequenceTagger)model).Predict(examples);
                var output = new List<string>();
                for (var i = 0; i < sentences.Count; i++)
                {
                    for (var t = 0; t < sentences[i].Tokens.Length; t++) output.Add($"{sentences[i].Tokens[t]}\t{spec.OutputVocabulary![predicted[i][t]]}");
                    output.Add("");
                }
                return output;
            }
            case TaskKind.Copy:
                return ((SequenceTagger)model).Predict(examples).Select(p => string.Join(' ', p.Select(id => spec.OutputVocabulary![id]))).ToList();
            case TaskKind.Seq2Seq:
                return ((Seq2SeqModel)model).Decode(examples, beam).Select(o => TaskEvaluator.Text(spec.OutputVocabulary!, o, spec.OutputTokenization)).ToList();
            default:
            {
                var tagger = (SequenceTagger)model;
                var output = new List<string>();
                var v = spec.OutputSize;
                foreach (var example in examples)
                {
                    var rows = tagger.LogProbabilities([example])[0];
                    var last = rows.AsSpan((example.Length - 1) * v, v).ToArray();
                    var best = Enumerable.Range(0, v).OrderByDescending(w => last[w]).ThenBy(w => w).Take(top);
                    output.Add(string.Join("  ", best.Select(w => I($"{spec.OutputVocabulary![w]} {Math.Exp(last[w]):F3}"))));
                }
                return output;
            }
        }
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Prediction inputs read and checked by <see cref="TaskPredictor.Read"/>.</summary>
public sealed class PredictionInput
{
    internal PredictionInput(TaskSpec spec, IReadOnlyList<SequenceExample> examples, IReadOnlyList<TaggedSentence>? sentences)
    {
        Spec = spec;
        Examples = examples;
        Sentences = sentences;
    }

    /// <summary>The spec the inputs were read for.</summary>
    public TaskSpec Spec { get; }

    /// <summary>One example per input (a line, a sentence, or a numeric sequence's rows).</summary>
    public IReadOnlyList<SequenceExample> Examples { get; }

    /// <summary>Tagging: the input sentences, whose tokens the output repeats.</summary>
    public IReadOnlyList<TaggedSentence>? Sentences { get; }
}
