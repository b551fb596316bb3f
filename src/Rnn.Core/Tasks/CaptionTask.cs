namespace GpuRnn.Tasks;

/// <summary>
/// <c>caption</c>: one-to-many captioning (Vinyals et al. 2015, "Show and Tell"). Each example is a
/// feature vector [F] and a sentence describing it; a <see cref="CaptionModel"/> maps the vector by
/// a linear layer into the decoder's initial state (Show and Tell's alternative, conditioning the
/// first input, is not taken), trains the decoder with teacher forcing and writes captions
/// greedily or by beam search (<c>--beam</c>). Data: <see cref="CaptionFile"/> lines
/// <c>f1,...,fF&lt;TAB&gt;caption</c>, or the built-in <see cref="Scenes"/>; captions are cut into
/// words (<see cref="Tokenization.Word"/>). Judged by exact match and corpus-level BLEU-4 (<see cref="Bleu"/>).
/// </summary>
public sealed class CaptionTask() : SequenceTask("caption", TaskKind.Caption, Scenes.Name, TaskModelFamily.Caption)
{
    /// <summary>Built-in scenes held out for validation and for evaluation without a file.</summary>
    public const int HeldOut = 500;

    /// <inheritdoc/>
    public override TaskOptions Options => TaskOptions.Beam;

    /// <inheritdoc/>
    public override long DefaultSteps => 600;

    /// <inheritdoc/>
    public override void Validate(TaskSpec spec)
    {
        if (spec.EmbeddingSize <= 0) throw new ArgumentException($"a caption decoder's embedding size must be positive, got {spec.EmbeddingSize}");
        if (spec.MaxOutputLength <= 0) throw new ArgumentException($"the longest caption must be positive, got {spec.MaxOutputLength}");
        if (spec.OutputVocabulary!.IdOf(Vocabulary.End) != 0)
            throw new ArgumentException($"a caption vocabulary starts with {Vocabulary.End}");
    }

    /// <inheritdoc/>
    public override string DescribeOutputs(TaskSpec spec) => $", {spec.OutputSize} caption words, the vector sets the decoder's initial state";

    /// <inheritdoc/>
    public override TaskModel CreateModel(IBackend backend, TaskSpec spec, ulong seed, DType dtype) => new CaptionModel(backend, spec, seed, dtype);

    /// <inheritdoc/>
    public override (TaskSpec Spec, TaskData Data) Build(TaskSpec spec, TaskSettings? settings, string? path, ulong seed, int window)
    {
        if (path is null)
        {
            if (settings is not null)
            {
                var words = Scenes.Words;
                spec = (spec with
                {
                    FeatureSize = Scenes.FeatureSize,
                    OutputTokenization = Tokenization.Word,
                    OutputVocabulary = new Vocabulary([Vocabulary.End, Vocabulary.Unknown, .. words]),
                    // Two objects and a relation: "a small red circle left of a large blue square".
                    MaxOutputLength = 2 * 10 + 2,
                }).Validate();
            }
            var held = Examples(spec, Scenes.Generate(ValidationStream, HeldOut), BuiltInName);
            var s = spec;
            return (spec, new GeneratedTaskData(BuiltInName, n => Example(s, Scenes.Scene(TrainStream, n), BuiltInName), held));
        }
        var source = DataFile.Describe(path);
        var vectors = CaptionFile.Read(path, settings is null ? spec.FeatureSize : 0);
        if (settings is not null)
        {
            var (train, _) = Split(Enumerable.Range(0, vectors.Count).ToList(), source);
            var captions = train.Select(i => Tokenizer.Split(vectors[i].Caption!, Tokenization.Word)).ToList();
            spec = (spec with
            {
                FeatureSize = vectors[0].Features.Length,
                OutputTokenization = Tokenization.Word,
                OutputVocabulary = Vocabulary.Build(captions.SelectMany(c => c), 1, Vocabulary.End, Vocabulary.Unknown),
                MaxOutputLength = 2 * captions.Max(c => c.Length) + 2,
            }).Validate();
        }
        return (spec, Fixed(path, vectors.Select(v => Example(spec, v, source)).ToList(), source, seed));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window) =>
        CaptionFile.Read(path, spec.FeatureSize).Select(v => Example(spec, v, DataFile.Describe(path))).ToList();

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window)
    {
        if (spec.FeatureSize != Scenes.FeatureSize)
            throw new InvalidDataException($"the model reads {spec.FeatureSize} features but the built-in scenes have {Scenes.FeatureSize}; evaluate it on a caption file (--data)");
        return Examples(spec, Scenes.Generate(TestStream, HeldOut), BuiltInName);
    }

    /// <summary>The generated caption of each example, greedy or by beam search.</summary>
    public override int[][] EvaluationOutputs(TaskModel model, IReadOnlyList<SequenceExample> examples, int beam) => ((CaptionModel)model).Decode(examples, beam);

    /// <inheritdoc/>
    public override TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int[][] outputs, int beam)
    {
        var spec = model.Spec;
        var match = ExactMatch.Of(examples, outputs, (e, output) => $"  {Text(spec, output)} (expected {Text(spec, e.Output!)}){(e.Line > 0 ? $", line {e.Line}" : "")}");
        var bleu = Bleu.Score(outputs, examples.Select(e => e.Output!).ToList());
        var summary = match.Describe(beam) + I($", BLEU-4 {100 * bleu:F1}, loss {loss.Loss:F4} nats per token, token accuracy {100 * loss.Accuracy:F1}% (teacher forcing)");
        return new TaskReport(loss, summary, match.Mistakes, match.Score);
    }

    /// <inheritdoc/>
    public override string Describe(TaskSpec spec, LossStats loss) => TagTask.TokenLoss(loss);

    /// <inheritdoc/>
    public override PredictionInput ReadInput(TaskSpec spec, IReadOnlyList<DataLine> lines, string source, char separator) =>
        Input(spec, CaptionFile.Parse(lines, source, labelled: false, spec.FeatureSize).Select(v => Example(spec, v, source)).ToList());

    /// <inheritdoc/>
    public override IReadOnlyList<string> Predict(TaskModel model, PredictionInput input, int beam, int top) =>
        ((CaptionModel)model).Decode(input.Examples, beam).Select(o => Text(model.Spec, o)).ToList();

    /// <summary>An example of a vector and (unless null) its caption, read with the spec's vocabulary.</summary>
    private static SequenceExample Example(TaskSpec spec, CaptionedVector vector, string source)
    {
        int[]? output = null;
        if (vector.Caption is not null)
        {
            var words = Tokenizer.Split(vector.Caption, spec.OutputTokenization);
            if (words.Length == 0) throw DataFile.Error(source, vector.Line, "the caption has no words");
            output = spec.OutputVocabulary!.Encode(words, DataFile.Where(source, vector.Line));
        }
        return new SequenceExample { Length = 1, Features = vector.Features, Output = output, Line = vector.Line };
    }

    private static SequenceExample Example(TaskSpec spec, (double[] Features, string Caption) scene, string source) =>
        Example(spec, new CaptionedVector(scene.Features, scene.Caption, 0), source);

    private static List<SequenceExample> Examples(TaskSpec spec, IReadOnlyList<(double[] Features, string Caption)> scenes, string source) =>
        scenes.Select(s => Example(spec, s, source)).ToList();

    private static string Text(TaskSpec spec, int[] ids) => spec.OutputVocabulary!.Text(ids, spec.OutputTokenization);
}
