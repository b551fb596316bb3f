namespace GpuRnn.Tasks;

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
        return TaskRegistry.Get(spec.Task).ReadInput(spec, lines, source, separator);
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
        return TaskRegistry.Get(spec.Task).Predict(model, input, beam, top);
    }
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
