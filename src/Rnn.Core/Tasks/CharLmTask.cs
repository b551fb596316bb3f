using System.Globalization;
using System.Text;

namespace GpuRnn.Tasks;

/// <summary>
/// <c>charlm</c>, the default task: a character-level language model (<see cref="CharRnnModel"/>)
/// trained with truncated BPTT over B parallel streams of a text (<see cref="StreamTaskData"/>),
/// the hidden state carried from chunk to chunk; judged by bits per character. Its characters are
/// the tokens of the spec's vocabulary, one Unicode scalar value each, in code-point order.
/// </summary>
public sealed partial class CharLmTask() : SequenceTask("charlm", TaskKind.CharLm, ArithmeticCorpus.Name, TaskModelFamily.CharLm)
{
    /// <summary>The names of the carried state in a checkpoint: h [L, B, H] and, for LSTM, c [L, B, H].</summary>
    public const string HiddenName = "train.hidden", CellName = "train.cell";

    /// <inheritdoc/>
    public override TaskOptions Options => TaskOptions.Window;

    /// <inheritdoc/>
    public override bool CanSample => true;

    /// <inheritdoc/>
    public override bool CanPredict => false;

    /// <inheritdoc/>
    public override int DefaultHiddenSize => 128;

    /// <inheritdoc/>
    public override long DefaultSteps => 2500;

    /// <inheritdoc/>
    public override double? DefaultClip => 5;

    /// <inheritdoc/>
    public override string LossAxis => "loss (nats per character)";

    /// <inheritdoc/>
    public override string ExampleName => "windows";

    /// <summary>
    /// The task spec of a character model: <paramref name="architecture"/> over <paramref name="characters"/>
    /// (whose count must be the architecture's vocabulary size).
    /// </summary>
    /// <exception cref="ArgumentException">The sizes differ or the architecture is invalid.</exception>
    public static TaskSpec Spec(CharModelSpec architecture, Vocabulary characters)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(characters);
        if (characters.Count != architecture.VocabSize)
            throw new ArgumentException($"the vocabulary has {characters.Count} characters but the model's is {architecture.VocabSize}");
        architecture.Validate();
        // The character form (single characters in code-point order) whatever list the vocabulary was made from.
        var tokens = Vocabulary.OfCharacters(characters.Tokens);
        return new TaskSpec
        {
            Task = TaskKind.CharLm,
            Cell = architecture.Cell,
            HiddenSize = architecture.HiddenSize,
            NumLayers = architecture.NumLayers,
            Dropout = architecture.Dropout,
            RecurrentInit = architecture.RecurrentInit,
            ForgetBias = architecture.ForgetBias,
            GruVariant = architecture.GruVariant,
            LayerNorm = architecture.LayerNorm,
            Zoneout = architecture.Zoneout,
            ZoneoutCell = architecture.ZoneoutCell,
            CellClip = architecture.CellClip,
            EmbeddingSize = architecture.EmbeddingSize,
            InputVocabulary = tokens,
            InputTokenization = Tokenization.Char,
            OutputVocabulary = tokens,
            OutputTokenization = Tokenization.Char,
        }.Validate();
    }

    /// <summary>
    /// A spec of <paramref name="architecture"/> over <see cref="CharModelSpec.VocabSize"/> stand-in
    /// characters (code points 0, 1, ...), for a model whose text is not known yet (gradient checks,
    /// state_dict round trips).
    /// </summary>
    public static TaskSpec Spec(CharModelSpec architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        architecture.Validate();
        // Code points skip the surrogate range, which holds no scalar values.
        var symbols = Enumerable.Range(0, architecture.VocabSize).Select(i => char.ConvertFromUtf32(i < 0xD800 ? i : i + 0x800));
        return Spec(architecture, Vocabulary.OfCharacters(symbols));
    }

    /// <summary>The architecture of a charlm spec, in the character model's own terms (how messages and the legacy checkpoints describe it).</summary>
    public static CharModelSpec Architecture(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new CharModelSpec(spec.Cell, spec.OutputSize, spec.EmbeddingSize, spec.HiddenSize, spec.NumLayers, spec.Dropout,
            spec.GruVariant, spec.RecurrentInit, spec.ForgetBias, spec.LayerNorm, spec.Zoneout, spec.ZoneoutCell, spec.CellClip);
    }

    /// <summary>The characters of a charlm spec.</summary>
    public static Vocabulary Characters(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.InputVocabulary ?? throw new ArgumentException("a character model's spec needs its characters");
    }

    /// <inheritdoc/>
    public override void Validate(TaskSpec spec)
    {
        if (spec.InputVocabulary is null || !spec.InputVocabulary.SameAs(spec.OutputVocabulary))
            throw new ArgumentException("a character model reads and predicts the same characters (one vocabulary)");
        if (spec.InputTokenization != Tokenization.Char || spec.OutputTokenization != Tokenization.Char)
            throw new ArgumentException("a character model reads characters (tokenization char)");
        foreach (var token in spec.InputVocabulary.Tokens)
        {
            if (Rune.DecodeFromUtf16(token, out _, out var used) != System.Buffers.OperationStatus.Done || used != token.Length)
                throw new ArgumentException($"vocabulary entry '{token}' is not exactly one character");
        }
    }

    /// <inheritdoc/>
    public override string DescribeOutputs(TaskSpec spec) => "";

    /// <inheritdoc/>
    public override void AddStateTensors(ExpectedTensors tensors, TaskSpec spec, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        tensors.Add(HiddenName, spec.NumLayers, options.Batch, spec.HiddenSize);
        if (spec.Cell == RnnCellKind.Lstm) tensors.Add(CellName, spec.NumLayers, options.Batch, spec.HiddenSize);
    }

    /// <inheritdoc/>
    public override (TaskSpec Spec, TaskData Data) Build(TaskSpec spec, TaskSettings? settings, string? path, ulong seed, int window)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var known = spec.InputVocabulary is null ? null : Characters(spec);
        var corpus = path is null ? TextCorpus.FromText(ArithmeticCorpus.Generate(), ArithmeticCorpus.Name, known) : TextCorpus.Load(path, known);
        if (settings is not null)
        {
            var tokens = corpus.Vocabulary;
            spec = (spec with
            {
                InputVocabulary = tokens, OutputVocabulary = tokens, InputTokenization = Tokenization.Char, OutputTokenization = Tokenization.Char,
            }).Validate();
        }
        return (spec, new StreamTaskData(corpus.Name, corpus.Train, corpus.Validation, window));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window) =>
        Windows(spec, TextCorpus.ReadText(path), $"data file '{path}'", window);

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window) =>
        Windows(spec, ArithmeticCorpus.Generate(TestStream, 200), ArithmeticCorpus.Name, window);

    private static IReadOnlyList<SequenceExample> Windows(TaskSpec spec, string text, string what, int window)
    {
        int[] ids;
        try { ids = Characters(spec).Encode(text, what); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message); }
        if (ids.Length < 2) throw new InvalidDataException($"{what} has {ids.Length} character; at least 2 are needed to predict one");
        return TaskExamples.Windows(ids, window);
    }

    /// <inheritdoc/>
    public override TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int beam)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new(loss, Describe(model.Spec, loss), [], loss.BitsPerCharacter);
    }

    /// <inheritdoc/>
    public override string Describe(TaskSpec spec, LossStats loss) =>
        I($"loss {loss.Loss:F4} nats, {loss.BitsPerCharacter:F3} bits/char, accuracy {100 * loss.Accuracy:F1}%");

    /// <inheritdoc/>
    public override PredictionInput ReadInput(TaskSpec spec, IReadOnlyList<DataLine> lines, string source, char separator)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var characters = Characters(spec);
        var examples = new List<SequenceExample>();
        foreach (var (number, text) in lines)
        {
            if (string.IsNullOrEmpty(text)) continue;
            int[] ids;
            try { ids = characters.Encode(text, $"{source}, line {number}"); }
            catch (ArgumentException e) { throw new InvalidDataException(e.Message); }
            examples.Add(new SequenceExample { Length = ids.Length, Tokens = ids, Line = number });
        }
        return Input(spec, examples);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Predict(TaskModel model, PredictionInput input, int beam, int top)
    {
        ArgumentNullException.ThrowIfNull(input);
        var charModel = (CharRnnModel)model;
        var characters = Characters(model.Spec);
        var output = new List<string>();
        var probabilities = new double[characters.Count];
        foreach (var example in input.Examples)
        {
            using var state = charModel.CreateState(1);
            var logits = charModel.NextLogits(example.Tokens, example.Length, state);
            TokenSampler.Probabilities(logits, 1, 0, probabilities);
            var best = Enumerable.Range(0, characters.Count).OrderByDescending(c => probabilities[c]).ThenBy(c => c).Take(top);
            output.Add(string.Join("  ", best.Select(c => I($"{Shown(characters[c])} {probabilities[c]:F3}"))));
        }
        return output;
    }

    // Whitespace and control characters are shown by code point, as in messages.
    private static string Shown(string symbol)
    {
        var rune = Rune.GetRuneAt(symbol, 0);
        return Rune.IsControl(rune) || Rune.IsWhiteSpace(rune) ? string.Create(CultureInfo.InvariantCulture, $"U+{rune.Value:X4}") : symbol;
    }
}
