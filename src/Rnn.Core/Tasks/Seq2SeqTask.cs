namespace GpuRnn.Tasks;

/// <summary>
/// <c>seq2seq</c>: an encoder-decoder (Sutskever et al. 2014) over parallel texts
/// (<see cref="ParallelTextFile"/>) or the built-in number words; judged by the exact match of
/// greedy or beam-search outputs.
/// </summary>
public sealed class Seq2SeqTask() : SequenceTask("seq2seq", TaskKind.Seq2Seq, NumberWords.Name, TaskModelFamily.Seq2Seq)
{
    /// <inheritdoc/>
    public override TaskOptions Options => TaskOptions.Tokenize | TaskOptions.TargetTokenize | TaskOptions.ReverseSource | TaskOptions.Beam;

    /// <inheritdoc/>
    public override int DefaultHiddenSize => 128;

    /// <inheritdoc/>
    public override long DefaultSteps => 1500;

    /// <inheritdoc/>
    public override void Validate(TaskSpec spec)
    {
        if (spec.MaxOutputLength <= 0) throw new ArgumentException($"the longest output must be positive, got {spec.MaxOutputLength}");
        if (spec.OutputVocabulary!.IdOf(Vocabulary.End) != 0)
            throw new ArgumentException($"a seq2seq target vocabulary starts with {Vocabulary.End}");
    }

    /// <inheritdoc/>
    public override string DescribeOutputs(TaskSpec spec) =>
        $", {spec.OutputSize} target tokens ({spec.OutputTokenization.ToName()}){(spec.ReverseSource ? ", source reversed" : "")}";

    /// <inheritdoc/>
    public override (TaskSpec Spec, TaskData Data) Build(TaskSpec spec, TaskSettings? settings, string? path, ulong seed, int window)
    {
        var source = path is null ? BuiltInName : DataFile.Describe(path);
        var name = path ?? BuiltInName;
        IReadOnlyList<TextPair> pairs, validation = [];
        if (path is null)
        {
            var (train, held) = NumberWords.Split(TrainStream, 500);
            pairs = train.Select(p => new TextPair(p.Source, p.Target, 0)).ToList();
            validation = held.Select(p => new TextPair(p.Source, p.Target, 0)).ToList();
        }
        else pairs = ParallelTextFile.Read(path);
        if (settings is not null)
        {
            var input = settings.InputTokenization ?? (path is null ? Tokenization.Word : Tokenization.Char);
            var output = settings.OutputTokenization ?? Tokenization.Char;
            var (trainIndices, _) = path is null ? (Enumerable.Range(0, pairs.Count).ToList(), []) : Split(Enumerable.Range(0, pairs.Count).ToList(), source);
            var targets = trainIndices.Select(i => Tokenizer.Split(pairs[i].Target!, output)).ToList();
            spec = spec with
            {
                InputTokenization = input,
                OutputTokenization = output,
                InputVocabulary = Vocabulary.Build(trainIndices.SelectMany(i => Tokenizer.Split(pairs[i].Source, input)), settings.MinCount, Vocabulary.Unknown),
                OutputVocabulary = Vocabulary.Build(targets.SelectMany(t => t), 1, Vocabulary.End, Vocabulary.Unknown),
                MaxOutputLength = 2 * targets.Max(t => t.Length) + 2,
            };
            spec.Validate();
        }
        var examples = pairs.Select(p => TaskExamples.FromPair(spec, p, source)).ToList();
        if (path is null) return (spec, new FixedTaskData(name, examples, validation.Select(p => TaskExamples.FromPair(spec, p, source)).ToList(), seed));
        return (spec, Fixed(name, examples, source, seed));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window)
    {
        var source = DataFile.Describe(path);
        return ParallelTextFile.Read(path).Select(p => TaskExamples.FromPair(spec, p, source)).ToList();
    }

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window) =>
        NumberWords.Split(TrainStream, 500).Validation.Select(p => TaskExamples.FromPair(spec, new TextPair(p.Source, p.Target, 0), NumberWords.Name)).ToList();

    /// <summary>The decoded output of each example, greedy or by beam search.</summary>
    public override int[][] EvaluationOutputs(TaskModel model, IReadOnlyList<SequenceExample> examples, int beam) => ((Seq2SeqModel)model).Decode(examples, beam);

    /// <inheritdoc/>
    public override TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int[][] outputs, int beam)
    {
        var spec = model.Spec;
        var match = ExactMatch.Of(examples, outputs, (e, output) =>
            $"  {spec.InputVocabulary!.Text(e.Tokens!, spec.InputTokenization)} -> {spec.OutputVocabulary!.Text(output, spec.OutputTokenization)} " +
            $"(expected {spec.OutputVocabulary!.Text(e.Output!, spec.OutputTokenization)})");
        var summary = match.Describe(beam) + I($", loss {loss.Loss:F4} nats per token, token accuracy {100 * loss.Accuracy:F1}% (teacher forcing)");
        return new TaskReport(loss, summary, match.Mistakes, match.Score);
    }

    /// <inheritdoc/>
    public override string Describe(TaskSpec spec, LossStats loss) => TagTask.TokenLoss(loss);

    /// <inheritdoc/>
    public override PredictionInput ReadInput(TaskSpec spec, IReadOnlyList<DataLine> lines, string source, char separator) =>
        Input(spec, ParallelTextFile.ParseSources(lines).Select(p => TaskExamples.FromPair(spec, p, source)).ToList());

    /// <inheritdoc/>
    public override IReadOnlyList<string> Predict(TaskModel model, PredictionInput input, int beam, int top)
    {
        var spec = model.Spec;
        return ((Seq2SeqModel)model).Decode(input.Examples, beam).Select(o => spec.OutputVocabulary!.Text(o, spec.OutputTokenization)).ToList();
    }
}
