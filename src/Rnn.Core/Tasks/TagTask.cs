namespace GpuRnn.Tasks;

/// <summary>
/// <c>tag</c>: one tag per token (part of speech, named entities), read from CoNLL files
/// (<see cref="ConllFile"/>) or the built-in entity sentences; judged by token accuracy and,
/// for BIO tags, entity-level F1.
/// </summary>
public sealed class TagTask() : SequenceTask("tag", TaskKind.Tag, EntitySentences.Name, TaskModelFamily.Tagger)
{
    /// <inheritdoc/>
    public override TaskOptions Options => TaskOptions.Bidirectional;

    /// <inheritdoc/>
    public override long DefaultSteps => 300;

    /// <inheritdoc/>
    public override bool DefaultBidirectional => true;

    /// <inheritdoc/>
    public override string DescribeOutputs(TaskSpec spec) => $", {spec.OutputSize} tags";

    /// <inheritdoc/>
    public override (TaskSpec Spec, TaskData Data) Build(TaskSpec spec, TaskSettings? settings, string? path, ulong seed, int window)
    {
        var source = path is null ? BuiltInName : DataFile.Describe(path);
        var name = path ?? BuiltInName;
        var sentences = path is null
            ? Enumerable.Range(0, 3000).Select(i => EntitySentences.Example(TrainStream, i)).Select(e => new TaggedSentence(e.Tokens, e.Tags, 0)).ToList()
            : ConllFile.Read(path);
        var (trainIndices, _) = Split(Enumerable.Range(0, sentences.Count).ToList(), source);
        if (settings is not null)
        {
            spec = spec with
            {
                InputTokenization = Tokenization.Whitespace,
                InputVocabulary = Vocabulary.Build(trainIndices.SelectMany(i => sentences[i].Tokens), settings.MinCount, Vocabulary.Unknown),
                OutputVocabulary = new Vocabulary(sentences.SelectMany(s => s.Tags!).Distinct().Order(StringComparer.Ordinal)),
            };
            spec.Validate();
        }
        var examples = sentences.Select(s => TaskExamples.FromSentence(spec, s, source)).ToList();
        if (path is null)
            return (spec, new FixedTaskData(name, examples,
                Enumerable.Range(0, 300).Select(i => Sentence(spec, EntitySentences.Example(ValidationStream, i))).ToList(), seed));
        return (spec, Fixed(name, examples, source, seed));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window)
    {
        var source = DataFile.Describe(path);
        return ConllFile.Read(path).Select(s => TaskExamples.FromSentence(spec, s, source)).ToList();
    }

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window) =>
        Enumerable.Range(0, 500).Select(i => Sentence(spec, EntitySentences.Example(TestStream, i))).ToList();

    private static SequenceExample Sentence(TaskSpec spec, (string[] Tokens, string[] Tags) e) =>
        TaskExamples.FromSentence(spec, new TaggedSentence(e.Tokens, e.Tags, 0), EntitySentences.Name);

    /// <summary>The predicted tag of every step of each example.</summary>
    public override int[][] EvaluationOutputs(TaskModel model, IReadOnlyList<SequenceExample> examples, int beam) => ((SequenceTagger)model).Predict(examples);

    /// <inheritdoc/>
    public override TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int[][] outputs, int beam)
    {
        var tags = model.Spec.OutputVocabulary!;
        long right = 0, total = 0;
        var entities = default(EntityCounts);
        var bio = EntityScore.IsBio(tags.Tokens);
        for (var i = 0; i < examples.Count; i++)
        {
            var truth = examples[i].Targets!;
            for (var t = 0; t < truth.Length; t++)
            {
                if (truth[t] < 0) continue;
                total++;
                if (outputs[i][t] == truth[t]) right++;
            }
            if (bio) entities += EntityScore.Score(outputs[i].Select(id => tags[id]).ToArray(), truth.Select(id => tags[id]).ToArray());
        }
        var accuracy = total == 0 ? double.NaN : (double)right / total;
        var summary = I($"token accuracy {100 * accuracy:F1}% ({right} of {total})");
        if (!bio) return new TaskReport(loss, summary + I($", loss {loss.Loss:F4} nats per token (the tags are not BIO, so no entity F1)"), [], accuracy);
        summary += I($", entity F1 {100 * entities.F1:F1}% (precision {100 * entities.Precision:F1}%, recall {100 * entities.Recall:F1}%, {entities.Actual} entities)");
        return new TaskReport(loss, summary, [], entities.F1);
    }

    /// <inheritdoc/>
    public override string Describe(TaskSpec spec, LossStats loss) => TokenLoss(loss);

    /// <summary>The validation line of tasks judged per token.</summary>
    internal static string TokenLoss(LossStats loss) => I($"loss {loss.Loss:F4} nats per token, token accuracy {100 * loss.Accuracy:F1}%");

    /// <inheritdoc/>
    public override PredictionInput ReadInput(TaskSpec spec, IReadOnlyList<DataLine> lines, string source, char separator)
    {
        var sentences = ConllFile.ParseUntagged(lines);
        return Input(spec, sentences.Select(s => TaskExamples.FromSentence(spec, s, source)).ToList(), sentences);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Predict(TaskModel model, PredictionInput input, int beam, int top)
    {
        var spec = model.Spec;
        var sentences = input.Sentences!;
        var predicted = ((SequenceTagger)model).Predict(input.Examples);
        var output = new List<string>();
        for (var i = 0; i < sentences.Count; i++)
        {
            for (var t = 0; t < sentences[i].Tokens.Length; t++) output.Add($"{sentences[i].Tokens[t]}\t{spec.OutputVocabulary![predicted[i][t]]}");
            output.Add("");
        }
        return output;
    }
}
