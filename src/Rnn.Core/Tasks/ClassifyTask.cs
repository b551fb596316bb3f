namespace GpuRnn.Tasks;

/// <summary>
/// <c>classify</c>: many-to-one classification of a text or a numeric sequence, read from a
/// classification file (<see cref="ClassificationFile"/>) or the built-in sentiment sentences;
/// judged by accuracy and a confusion matrix.
/// </summary>
public sealed class ClassifyTask() : SequenceTask("classify", TaskKind.Classify, SentimentSentences.Name, TaskModelFamily.Classifier)
{
    /// <inheritdoc/>
    public override TaskOptions Options => TaskOptions.Bidirectional | TaskOptions.Pool | TaskOptions.Tokenize;

    /// <inheritdoc/>
    public override long DefaultSteps => 400;

    /// <inheritdoc/>
    public override string LossAxis => "loss (nats per sequence)";

    /// <inheritdoc/>
    public override string DescribeOutputs(TaskSpec spec) => $", {spec.OutputSize} labels, {spec.Pooling.ToName()}-state pooling";

    /// <inheritdoc/>
    public override (TaskSpec Spec, TaskData Data) Build(TaskSpec spec, TaskSettings? settings, string? path, ulong seed, int window)
    {
        var source = path is null ? BuiltInName : DataFile.Describe(path);
        var name = path ?? BuiltInName;
        IReadOnlyList<LabelledText> texts;
        ClassificationFile? file = null;
        if (path is null) texts = SentimentSentences.Generate(TrainStream, 4500).Select((e, i) => new LabelledText(e.Label, e.Text, 0)).ToList();
        else
        {
            file = ClassificationFile.Read(path);
            texts = file.Texts;
        }
        if (settings is not null)
        {
            var tokenization = settings.InputTokenization ?? Tokenization.Word;
            var (train, _) = Split(Enumerable.Range(0, file?.Count ?? texts.Count).ToList(), source);
            var labels = file?.IsNumeric == true ? file.Series.Select(s => s.Label!) : texts.Select(t => t.Label!);
            spec = spec with
            {
                OutputVocabulary = new Vocabulary(labels.Distinct().Order(StringComparer.Ordinal)),
                InputTokenization = tokenization,
                FeatureSize = file?.IsNumeric == true ? file.FeatureSize : 0,
                EmbeddingSize = file?.IsNumeric == true ? 0 : spec.EmbeddingSize,
                InputVocabulary = file?.IsNumeric == true ? null
                    : Vocabulary.Build(train.SelectMany(i => Tokenizer.Split(texts[i].Text, tokenization)), settings.MinCount, Vocabulary.Unknown),
            };
            spec.Validate();
        }
        var examples = file is not null ? TaskExamples.FromClassificationFile(spec, file)
            : texts.Select(t => TaskExamples.FromText(spec, t.Text, t.Label, source, 0)).ToList();
        if (file is null)
            return (spec, new FixedTaskData(name, examples,
                SentimentSentences.Generate(ValidationStream, 500).Select(e => TaskExamples.FromText(spec, e.Text, e.Label, source, 0)).ToList(), seed));
        return (spec, Fixed(name, examples, source, seed));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window) =>
        TaskExamples.FromClassificationFile(spec, ClassificationFile.Read(path));

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window) =>
        SentimentSentences.Generate(TestStream, 1000).Select(e => TaskExamples.FromText(spec, e.Text, e.Label, SentimentSentences.Name, 0)).ToList();

    /// <summary>The predicted class of each example, as one value.</summary>
    public override int[][] EvaluationOutputs(TaskModel model, IReadOnlyList<SequenceExample> examples, int beam) =>
        ((SequenceClassifier)model).Predict(examples).Select(p => new[] { HeadMath.ArgMax(p) }).ToArray();

    /// <inheritdoc/>
    public override TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int[][] outputs, int beam)
    {
        var labels = model.Spec.OutputVocabulary!;
        var matrix = new ConfusionMatrix(labels.Tokens);
        for (var i = 0; i < examples.Count; i++) matrix.Add(examples[i].Label, outputs[i][0]);
        var summary = I($"accuracy {100 * matrix.Accuracy:F1}% ({matrix.Correct} of {matrix.Total}), loss {loss.Loss:F4} nats");
        return new TaskReport(loss, summary, ["confusion matrix (rows: true label, columns: predicted):", .. matrix.Format()], matrix.Accuracy);
    }

    /// <inheritdoc/>
    public override string Describe(TaskSpec spec, LossStats loss) => I($"loss {loss.Loss:F4} nats, accuracy {100 * loss.Accuracy:F1}%");

    /// <inheritdoc/>
    public override PredictionInput ReadInput(TaskSpec spec, IReadOnlyList<DataLine> lines, string source, char separator) =>
        Input(spec, TaskExamples.FromClassificationFile(spec, ClassificationFile.Parse(lines, source, separator, labelled: false, featureSize: spec.FeatureSize)));

    /// <inheritdoc/>
    public override IReadOnlyList<string> Predict(TaskModel model, PredictionInput input, int beam, int top)
    {
        var spec = model.Spec;
        var examples = input.Examples;
        var probabilities = ((SequenceClassifier)model).Predict(examples);
        return examples.Select((e, i) =>
        {
            var best = HeadMath.ArgMax(probabilities[i]);
            var result = I($"{spec.OutputVocabulary![best]}\t{probabilities[i][best]:F4}");
            return e.Id is null ? result : $"{e.Id}\t{result}";
        }).ToList();
    }
}
