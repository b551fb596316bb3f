namespace GpuRnn.Tasks;

/// <summary>
/// <c>wordlm</c>: a word-level language model with a full or class-based softmax (Mikolov et al.
/// 2011) over windows of a text (<see cref="TextCorpus"/>) or the built-in synthetic words;
/// judged by perplexity.
/// </summary>
public sealed class WordLmTask() : SequenceTask("wordlm", TaskKind.WordLm, SyntheticWords.Name, TaskModelFamily.Tagger)
{
    /// <summary>A tagger by its model, a language model by its use: it exports as a step graph.</summary>
    public override TaskModelFamily ExportFamily => TaskModelFamily.CharLm;

    /// <inheritdoc/>
    public override TaskOptions Options => TaskOptions.Tokenize | TaskOptions.Softmax | TaskOptions.Window;

    /// <inheritdoc/>
    public override int DefaultHiddenSize => 128;

    /// <inheritdoc/>
    public override string LossAxis => "loss (nats per word)";

    /// <inheritdoc/>
    public override string ExampleName => "windows";

    /// <inheritdoc/>
    public override string DescribeOutputs(TaskSpec spec) =>
        $", {spec.OutputSize} words, {(spec.Softmax == SoftmaxKind.Class ? $"class-based softmax over {WordClasses.FromClassOf(spec.WordClasses!, spec.OutputSize).Count} classes" : "full softmax")}";

    /// <inheritdoc/>
    public override (TaskSpec Spec, TaskData Data) Build(TaskSpec spec, TaskSettings? settings, string? path, ulong seed, int window)
    {
        var source = path is null ? BuiltInName : DataFile.Describe(path);
        var name = path ?? BuiltInName;
        var text = path is null ? SyntheticWords.Generate(TrainStream, 20_000) : TextCorpus.ReadText(path);
        var tokenization = spec.InputVocabulary is null ? settings!.InputTokenization ?? Tokenization.Word : spec.InputTokenization;
        var words = Tokenizer.Split(text, tokenization);
        if (words.Length < 20) throw new InvalidDataException($"{source} has {words.Length} words; at least 20 are needed to split it into training and validation text");
        var split = (int)(words.Length * TextCorpus.TrainFraction);
        if (settings is not null)
        {
            var vocabulary = Vocabulary.Build(words[..split], settings.MinCount, Vocabulary.Unknown);
            var counts = new long[vocabulary.Count];
            foreach (var w in vocabulary.Encode(words[..split], source)) counts[w]++;
            var classes = settings.Classes > 0 ? Math.Min(settings.Classes, vocabulary.Count) : WordClasses.DefaultCount(vocabulary.Count);
            spec = spec with
            {
                InputTokenization = tokenization, InputVocabulary = vocabulary, OutputVocabulary = vocabulary,
                WordClasses = spec.Softmax == SoftmaxKind.Class ? [.. WordClasses.FromFrequencies(counts, classes).ClassOf] : null,
            };
            spec.Validate();
        }
        var ids = spec.InputVocabulary!.Encode(words, source);
        return (spec, new FixedTaskData(name, TaskExamples.Windows(ids[..split], window), TaskExamples.Windows(ids[(split - 1)..], window), seed));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window) =>
        Words(spec, TextCorpus.ReadText(path), DataFile.Describe(path), window);

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window) =>
        Words(spec, SyntheticWords.Generate(TestStream, 2000), SyntheticWords.Name, window);

    private static IReadOnlyList<SequenceExample> Words(TaskSpec spec, string text, string source, int window)
    {
        var ids = spec.InputVocabulary!.Encode(Tokenizer.Split(text, spec.InputTokenization), source);
        if (ids.Length < 2) throw new InvalidDataException($"{source} has {ids.Length} words; at least 2 are needed to predict one");
        return TaskExamples.Windows(ids, window);
    }

    /// <inheritdoc/>
    public override TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int beam) =>
        new(loss, Describe(model.Spec, loss), [], Math.Exp(loss.Loss));

    /// <inheritdoc/>
    public override string Describe(TaskSpec spec, LossStats loss) =>
        I($"loss {loss.Loss:F4} nats per word, perplexity {Math.Exp(loss.Loss):F2}") + (loss.Correct > 0 ? I($", accuracy {100 * loss.Accuracy:F1}%") : "");

    /// <inheritdoc/>
    public override PredictionInput ReadInput(TaskSpec spec, IReadOnlyList<DataLine> lines, string source, char separator)
    {
        var examples = new List<SequenceExample>();
        foreach (var (number, text) in lines)
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            var ids = TaskExamples.Words(spec, text);
            if (ids.Length == 0) throw DataFile.Error(source, number, "the line has no words");
            examples.Add(new SequenceExample { Length = ids.Length, Tokens = ids, Line = number });
        }
        return Input(spec, examples);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Predict(TaskModel model, PredictionInput input, int beam, int top)
    {
        var spec = model.Spec;
        var tagger = (SequenceTagger)model;
        var output = new List<string>();
        var v = spec.OutputSize;
        foreach (var example in input.Examples)
        {
            var rows = tagger.LogProbabilities([example])[0];
            var last = rows.AsSpan((example.Length - 1) * v, v).ToArray();
            var best = Enumerable.Range(0, v).OrderByDescending(w => last[w]).ThenBy(w => w).Take(top);
            output.Add(string.Join("  ", best.Select(w => I($"{spec.OutputVocabulary![w]} {Math.Exp(last[w]):F3}"))));
        }
        return output;
    }
}
