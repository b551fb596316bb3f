namespace GpuRnn;

/// <summary>
/// Reads or generates a task's data and, for a new model, builds the spec's vocabularies, labels
/// and word classes from the training part. Data files are split 90/10 into training and
/// validation examples in a fixed random order (a word text: its first 90% of words trains);
/// without a file each task generates its own data (<see cref="BuiltInName"/>).
/// </summary>
public static class TaskSetup
{
    private const ulong TrainStream = 1, ValidationStream = 2, TestStream = 3;

    /// <summary>The name of a task's built-in data.</summary>
    public static string BuiltInName(TaskKind task) => task switch
    {
        TaskKind.Classify => SentimentSentences.Name,
        TaskKind.Tag => EntitySentences.Name,
        TaskKind.Seq2Seq => NumberWords.Name,
        TaskKind.Adding => AddingProblem.Name,
        TaskKind.Copy => CopyProblem.Name,
        _ => SyntheticWords.Name,
    };

    /// <summary>
    /// The spec of a new model of <paramref name="settings"/> and its data, from the file at
    /// <paramref name="path"/> or the built-in generator (null).
    /// </summary>
    /// <param name="settings">The architecture and reading choices.</param>
    /// <param name="path">A data file, or null for the built-in data.</param>
    /// <param name="seed">Seed of the order in which training examples are read.</param>
    /// <param name="window">Word language model: words per training example.</param>
    /// <exception cref="InvalidDataException">The file is malformed (the message names the file and the line) or too small.</exception>
    public static (TaskSpec Spec, TaskData Data) Create(TaskSettings settings, string? path, ulong seed, int window = 35)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var spec = new TaskSpec
        {
            Task = settings.Task,
            Cell = settings.Cell,
            HiddenSize = settings.HiddenSize,
            NumLayers = settings.NumLayers,
            Bidirectional = settings.Bidirectional,
            Dropout = settings.Dropout,
            RecurrentInit = settings.RecurrentInit,
            ForgetBias = settings.ForgetBias,
            EmbeddingSize = settings.EmbeddingSize,
            Pooling = settings.Pooling,
            Softmax = settings.Task == TaskKind.WordLm ? settings.Softmax : SoftmaxKind.Full,
            ReverseSource = settings.ReverseSource,
        };
        return Build(spec, settings, path, seed, window);
    }

    /// <summary>The data of an existing model (a resumed run), read with its spec's vocabularies.</summary>
    public static TaskData Load(TaskSpec spec, string? path, ulong seed, int window = 35)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Build(spec, null, path, seed, window).Data;
    }

    /// <summary>Every example of a labelled data file, read with the spec's vocabularies (for evaluation).</summary>
    public static IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window = 35)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(path);
        var source = DataFile.Describe(path);
        return spec.Task switch
        {
            TaskKind.Classify => TaskExamples.FromClassificationFile(spec, ClassificationFile.Read(path)),
            TaskKind.Tag => ConllFile.Read(path).Select(s => TaskExamples.FromSentence(spec, s, source)).ToList(),
            TaskKind.Seq2Seq => ParallelTextFile.Read(path).Select(p => TaskExamples.FromPair(spec, p, source)).ToList(),
            TaskKind.Adding => TaskExamples.FromAddingLines(DataFile.ReadLines(path), source, labelled: true),
            TaskKind.Copy => TaskExamples.FromSymbolLines(DataFile.ReadLines(path), source, labelled: true),
            _ => Words(spec, TextCorpus.ReadText(path), source, window),
        };
    }

    /// <summary>Fresh built-in examples the model was not trained on (for evaluation without a file).</summary>
    public static IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window = 35)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Task switch
        {
            TaskKind.Classify => SentimentSentences.Generate(TestStream, 1000).Select(e => TaskExamples.FromText(spec, e.Text, e.Label, SentimentSentences.Name, 0)).ToList(),
            TaskKind.Tag => Enumerable.Range(0, 500).Select(i => Sentence(spec, EntitySentences.Example(TestStream, i))).ToList(),
            TaskKind.Seq2Seq => NumberWords.Split(TrainStream, 500).Validation.Select(p => Pair(spec, p)).ToList(),
            TaskKind.Adding => Enumerable.Range(0, 1000).Select(i => AddingProblem.Example(TestStream, i, spec.Length)).ToList(),
            TaskKind.Copy => Enumerable.Range(0, 500).Select(i => CopyProblem.Example(TestStream, i, spec.Length, spec.CopyCount)).ToList(),
            _ => Words(spec, SyntheticWords.Generate(TestStream, 2000), SyntheticWords.Name, window),
        };
    }

    private static (TaskSpec Spec, TaskData Data) Build(TaskSpec spec, TaskSettings? settings, string? path, ulong seed, int window)
    {
        var source = path is null ? BuiltInName(spec.Task) : DataFile.Describe(path);
        var name = path ?? BuiltInName(spec.Task);
        var fresh = settings is not null;
        switch (spec.Task)
        {
            case TaskKind.Classify:
            {
                IReadOnlyList<LabelledText> texts;
                ClassificationFile? file = null;
                if (path is null) texts = SentimentSentences.Generate(TrainStream, 4500).Select((e, i) => new LabelledText(e.Label, e.Text, 0)).ToList();
                else
                {
                    file = ClassificationFile.Read(path);
                    texts = file.Texts;
                }
                if (fresh)
                {
                    var tokenization = settings!.InputTokenization ?? Tokenization.Word;
                    var (train, _) = Split(Enumerable.Range(0, file?.Count ?? texts.Count).ToList(), source);
                    var labels = file?.IsNumeric == true ? file.Series.Select(s => s.Label!) : texts.Select(t => t.Label!);
                    spec = spec with
                    {
                        OutputVocabulary = new TokenVocabulary(labels.Distinct().Order(StringComparer.Ordinal)),
                        InputTokenization = tokenization,
                        FeatureSize = file?.IsNumeric == true ? file.FeatureSize : 0,
                        EmbeddingSize = file?.IsNumeric == true ? 0 : spec.EmbeddingSize,
                        InputVocabulary = file?.IsNumeric == true ? null
                            : TokenVocabulary.Build(train.SelectMany(i => Tokenizer.Split(texts[i].Text, tokenization)), settings.MinCount, TokenVocabulary.Unknown),
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
            case TaskKind.Tag:
            {
                var sentences = path is null
                    ? Enumerable.Range(0, 3000).Select(i => EntitySentences.Example(TrainStream, i)).Select(e => new TaggedSentence(e.Tokens, e.Tags, 0)).ToList()
                    : ConllFile.Read(path);
                var (trainIndices, _) = Split(Enumerable.Range(0, sentences.Count).ToList(), source);
                if (fresh)
                {
                    spec = spec with
                    {
                        InputTokenization = Tokenization.Whitespace,
                        InputVocabulary = TokenVocabulary.Build(trainIndices.SelectMany(i => sentences[i].Tokens), settings!.MinCount, TokenVocabulary.Unknown),
                        OutputVocabulary = new TokenVocabulary(sentences.SelectMany(s => s.Tags!).Distinct().Order(StringComparer.Ordinal)),
                    };
                    spec.Validate();
                }
                var examples = sentences.Select(s => TaskExamples.FromSentence(spec, s, source)).ToList();
                if (path is null)
                    return (spec, new FixedTaskData(name, examples,
                        Enumerable.Range(0, 300).Select(i => Sentence(spec, EntitySentences.Example(ValidationStream, i))).ToList(), seed));
                return (spec, Fixed(name, examples, source, seed));
            }
            case TaskKind.Seq2Seq:
            {
                IReadOnlyList<TextPair> pairs, validation = [];
                if (path is null)
                {
                    var (train, held) = NumberWords.Split(TrainStream, 500);
                    pairs = train.Select(p => new TextPair(p.Source, p.Target, 0)).ToList();
                    validation = held.Select(p => new TextPair(p.Source, p.Target, 0)).ToList();
                }
                else pairs = ParallelTextFile.Read(path);
                if (fresh)
                {
                    var input = settings!.InputTokenization ?? (path is null ? Tokenization.Word : Tokenization.Char);
                    var output = settings.OutputTokenization ?? Tokenization.Char;
                    var (trainIndices, _) = path is null ? (Enumerable.Range(0, pairs.Count).ToList(), []) : Split(Enumerable.Range(0, pairs.Count).ToList(), source);
                    var targets = trainIndices.Select(i => Tokenizer.Split(pairs[i].Target!, output)).ToList();
                    spec = spec with
                    {
                        InputTokenization = input,
                        OutputTokenization = output,
                        InputVocabulary = TokenVocabulary.Build(trainIndices.SelectMany(i => Tokenizer.Split(pairs[i].Source, input)), settings.MinCount, TokenVocabulary.Unknown),
                        OutputVocabulary = TokenVocabulary.Build(targets.SelectMany(t => t), 1, TokenVocabulary.End, TokenVocabulary.Unknown),
                        MaxOutputLength = 2 * targets.Max(t => t.Length) + 2,
                    };
                    spec.Validate();
                }
                var examples = pairs.Select(p => TaskExamples.FromPair(spec, p, source)).ToList();
                if (path is null) return (spec, new FixedTaskData(name, examples, validation.Select(p => TaskExamples.FromPair(spec, p, source)).ToList(), seed));
                return (spec, Fixed(name, examples, source, seed));
            }
            case TaskKind.Adding:
            {
                if (fresh) spec = (spec with { FeatureSize = AddingProblem.FeatureSize, Length = settings!.Length, EmbeddingSize = 0 }).Validate();
                if (path is not null)
                {
                    var examples = TaskExamples.FromAddingLines(DataFile.ReadLines(path), source, labelled: true);
                    // A file's sequences have their own length, which the spec then describes (the longest).
                    if (fresh) spec = spec with { Length = examples.Max(e => e.Length) };
                    return (spec, Fixed(name, examples, source, seed));
                }
                var length = spec.Length;
                return (spec, new GeneratedTaskData(name, n => AddingProblem.Example(TrainStream, n, length),
                    Enumerable.Range(0, 1000).Select(i => AddingProblem.Example(ValidationStream, i, length)).ToList()));
            }
            case TaskKind.Copy:
            {
                if (fresh)
                    spec = (spec with
                    {
                        InputVocabulary = CopyProblem.Vocabulary, OutputVocabulary = CopyProblem.Vocabulary,
                        InputTokenization = Tokenization.Whitespace, Length = settings!.Length, CopyCount = settings.CopyCount,
                    }).Validate();
                if (path is not null)
                {
                    var examples = TaskExamples.FromSymbolLines(DataFile.ReadLines(path), source, labelled: true);
                    // The delay and count the file's first sequence shows (its recalled symbols are its non-blank
                    // targets), so that the memoryless baseline printed is the file's.
                    if (fresh)
                    {
                        var recalled = examples[0].Targets!.Count(t => t != 0);
                        if (recalled > 0 && examples[0].Length > 2 * recalled)
                            spec = spec with { CopyCount = recalled, Length = examples[0].Length - 2 * recalled };
                    }
                    return (spec, Fixed(name, examples, source, seed));
                }
                int delay = spec.Length, count = spec.CopyCount;
                return (spec, new GeneratedTaskData(name, n => CopyProblem.Example(TrainStream, n, delay, count),
                    Enumerable.Range(0, 500).Select(i => CopyProblem.Example(ValidationStream, i, delay, count)).ToList()));
            }
            default:
            {
                var text = path is null ? SyntheticWords.Generate(TrainStream, 20_000) : TextCorpus.ReadText(path);
                var tokenization = spec.InputVocabulary is null ? settings!.InputTokenization ?? Tokenization.Word : spec.InputTokenization;
                var words = Tokenizer.Split(text, tokenization);
                if (words.Length < 20) throw new InvalidDataException($"{source} has {words.Length} words; at least 20 are needed to split it into training and validation text");
                var split = (int)(words.Length * TextCorpus.TrainFraction);
                if (fresh)
                {
                    var vocabulary = TokenVocabulary.Build(words[..split], settings!.MinCount, TokenVocabulary.Unknown);
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
        }
    }

    private static SequenceExample Sentence(TaskSpec spec, (string[] Tokens, string[] Tags) e) =>
        TaskExamples.FromSentence(spec, new TaggedSentence(e.Tokens, e.Tags, 0), EntitySentences.Name);

    private static SequenceExample Pair(TaskSpec spec, (string Source, string Target) p) =>
        TaskExamples.FromPair(spec, new TextPair(p.Source, p.Target, 0), NumberWords.Name);

    private static IReadOnlyList<SequenceExample> Words(TaskSpec spec, string text, string source, int window)
    {
        var ids = spec.InputVocabulary!.Encode(Tokenizer.Split(text, spec.InputTokenization), source);
        if (ids.Length < 2) throw new InvalidDataException($"{source} has {ids.Length} words; at least 2 are needed to predict one");
        return TaskExamples.Windows(ids, window);
    }

    /// <summary>A fixed random 90/10 split of the indices (at least one of each), the same for every run.</summary>
    private static (List<int> Train, List<int> Validation) Split(List<int> items, string source)
    {
        if (items.Count < 2) throw new InvalidDataException($"{source} has {items.Count} example{(items.Count == 1 ? "" : "s")}; at least 2 are needed (one for validation)");
        var order = FixedTaskData.Shuffle(items.Count, 0x5B11);
        var validation = Math.Max(1, items.Count / 10);
        return (order[validation..].Select(i => items[i]).ToList(), order[..validation].Select(i => items[i]).ToList());
    }

    private static FixedTaskData Fixed(string name, IReadOnlyList<SequenceExample> examples, string source, ulong seed)
    {
        var (train, validation) = Split(Enumerable.Range(0, examples.Count).ToList(), source);
        return new FixedTaskData(name, train.Select(i => examples[i]).ToList(), validation.Select(i => examples[i]).ToList(), seed);
    }
}
