using System.Globalization;
using System.Text.Json.Nodes;

namespace GpuRnn.Tasks;

/// <summary>
/// The sequence tasks, the character language model among them. Each value is one
/// <see cref="SequenceTask"/> in <see cref="TaskRegistry"/>, which decides everything task-specific;
/// a task registered from outside takes a value beyond these.
/// </summary>
public enum TaskKind
{
    /// <summary>Many-to-one classification of a text or a numeric sequence.</summary>
    Classify,

    /// <summary>Sequence labelling: one tag per token (part of speech, named entities).</summary>
    Tag,

    /// <summary>Sequence to sequence: an encoder-decoder (Sutskever et al. 2014).</summary>
    Seq2Seq,

    /// <summary>The adding problem (Hochreiter and Schmidhuber 1997), a many-to-one regression.</summary>
    Adding,

    /// <summary>The copy-memory task: recall symbols after a delay.</summary>
    Copy,

    /// <summary>A word-level language model, with a full or class-based softmax (Mikolov et al. 2011).</summary>
    WordLm,

    /// <summary>The character-level language model trained with truncated BPTT (<c>charlm</c>, the default of <c>gpurnn train</c>).</summary>
    CharLm,

    /// <summary>One-to-many captioning: a feature vector to a sentence (Vinyals et al. 2015).</summary>
    Caption,
}

/// <summary>How a many-to-one model reduces the states of a sequence to one vector.</summary>
public enum Pooling
{
    /// <summary>The final hidden state of the top layer (both directions' when bidirectional), taken at each sequence's own last step.</summary>
    Last,

    /// <summary>The mean of the top layer's outputs over each sequence's own steps.</summary>
    Mean,
}

/// <summary>The output layer over a vocabulary.</summary>
public enum SoftmaxKind
{
    /// <summary>One softmax over every output.</summary>
    Full,

    /// <summary>p(w) = p(class) p(w | class) over frequency classes (Mikolov et al. 2011).</summary>
    Class,
}

/// <summary>Names of the task enums on the command line and in checkpoints.</summary>
public static class TaskNames
{
    /// <summary><c>charlm</c>, <c>classify</c>, <c>tag</c>, <c>seq2seq</c>, <c>adding</c>, <c>copy</c> or <c>wordlm</c>.</summary>
    public static string ToName(this TaskKind task) => TaskRegistry.Get(task).Name;

    /// <summary>Parses a task name (<c>charlm</c> included).</summary>
    public static TaskKind ParseTask(string name) => TaskRegistry.Get(name).Kind;

    /// <summary><c>last</c> or <c>mean</c>.</summary>
    public static string ToName(this Pooling pooling) => PoolingNames.Name(pooling);

    /// <summary>Parses a pooling name.</summary>
    public static Pooling ParsePooling(string name) => PoolingNames.Parse(name);

    private static readonly NameTable<Pooling> PoolingNames = new NameTable<Pooling>("pooling", otherwise: Pooling.Mean)
        .Add(Pooling.Last, "last")
        .Add(Pooling.Mean, "mean");

    /// <summary><c>full</c> or <c>class</c>.</summary>
    public static string ToName(this SoftmaxKind softmax) => SoftmaxNames.Name(softmax);

    /// <summary>Parses a softmax name.</summary>
    public static SoftmaxKind ParseSoftmax(string name) => SoftmaxNames.Parse(name);

    private static readonly NameTable<SoftmaxKind> SoftmaxNames = new NameTable<SoftmaxKind>("softmax", otherwise: SoftmaxKind.Class)
        .Add(SoftmaxKind.Full, "full")
        .Add(SoftmaxKind.Class, "class");
}

/// <summary>
/// Everything that defines a task's model: the recurrent stack, how inputs are read (token
/// embedding or numeric features, with their vocabulary and tokenization), the output (labels,
/// tags, target tokens, word classes) and the task's own settings. A checkpoint stores it as JSON,
/// so evaluation, prediction and resuming need nothing but the checkpoint.
/// </summary>
public sealed record TaskSpec
{
    /// <summary>The task.</summary>
    public required TaskKind Task { get; init; }

    /// <summary>The recurrent cell.</summary>
    public required RnnCellKind Cell { get; init; }

    /// <summary>Hidden units per layer and direction, H.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Stacked recurrent layers, L.</summary>
    public int NumLayers { get; init; } = 1;

    /// <summary>Bidirectional layers (classification and tagging).</summary>
    public bool Bidirectional { get; init; }

    /// <summary>Dropout between recurrent layers and before the output layer, in training.</summary>
    public double Dropout { get; init; }

    /// <summary>How the recurrent weights start.</summary>
    public RecurrentInit RecurrentInit { get; init; } = RecurrentInit.Default;

    /// <summary>LSTM only: start the forget gate's bias at 1.</summary>
    public bool ForgetBias { get; init; }

    /// <summary>GRU only: where the reset gate is applied.</summary>
    public GruVariant GruVariant { get; init; } = GruVariant.ResetAfter;

    /// <summary>LSTM and GRU: layer normalisation inside the cell (<see cref="RnnSpec.LayerNorm"/>).</summary>
    public bool LayerNorm { get; init; }

    /// <summary>LSTM and GRU: zoneout probability on h, in [0, 1).</summary>
    public double Zoneout { get; init; }

    /// <summary>LSTM only: zoneout probability on c, in [0, 1).</summary>
    public double ZoneoutCell { get; init; }

    /// <summary>LSTM only: the cell state is clipped to [-k, k] every step; 0 = none.</summary>
    public double CellClip { get; init; }

    /// <summary>Width of a token's vector E (token inputs); 0 for numeric inputs.</summary>
    public int EmbeddingSize { get; init; }

    /// <summary>Features per step F of numeric inputs; 0 for token inputs.</summary>
    public int FeatureSize { get; init; }

    /// <summary>The input tokens (with the decoder's output tokens for seq2seq in <see cref="OutputVocabulary"/>), or null for numeric inputs.</summary>
    public Vocabulary? InputVocabulary { get; init; }

    /// <summary>How input texts are cut into tokens.</summary>
    public Tokenization InputTokenization { get; init; } = Tokenization.Whitespace;

    /// <summary>The labels, tags, target tokens or words predicted; null for regression.</summary>
    public Vocabulary? OutputVocabulary { get; init; }

    /// <summary>How target texts are cut into tokens (seq2seq).</summary>
    public Tokenization OutputTokenization { get; init; } = Tokenization.Whitespace;

    /// <summary>Many-to-one: how the states become one vector.</summary>
    public Pooling Pooling { get; init; } = Pooling.Last;

    /// <summary>The output layer over the vocabulary (word language model).</summary>
    public SoftmaxKind Softmax { get; init; } = SoftmaxKind.Full;

    /// <summary>Class-based softmax: the class of every output id [V], classes being id ranges.</summary>
    public int[]? WordClasses { get; init; }

    /// <summary>Seq2seq: the encoder reads the source backwards (Sutskever et al.).</summary>
    public bool ReverseSource { get; init; } = true;

    /// <summary>Seq2seq: the longest output a decoder writes before it is stopped.</summary>
    public int MaxOutputLength { get; init; }

    /// <summary>Adding and copy: the problem's length T (the sequence length, or the copy delay).</summary>
    public int Length { get; init; }

    /// <summary>Copy: how many symbols are to be remembered.</summary>
    public int CopyCount { get; init; }

    /// <summary>Whether inputs are token ids (else numeric features).</summary>
    public bool TokenInputs => InputVocabulary is not null;

    /// <summary>Whether the model predicts a value (the adding problem) rather than a class.</summary>
    public bool IsRegression => TaskRegistry.Get(Task).IsRegression;

    /// <summary>Features per step the recurrent stack reads: E for tokens, F for numeric inputs.</summary>
    public int RnnInputSize => TokenInputs ? EmbeddingSize : FeatureSize;

    /// <summary>The recurrent stack of an encoder reading <see cref="RnnInputSize"/> features.</summary>
    public RnnSpec Rnn => WithCellOptions(new(Cell, RnnInputSize, HiddenSize, NumLayers, Bidirectional, GruVariant: GruVariant));

    /// <summary><paramref name="stack"/> with this spec's layer norm, zoneout and cell clipping (every stack of a task model has them).</summary>
    public RnnSpec WithCellOptions(RnnSpec stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return stack with { LayerNorm = LayerNorm, Zoneout = Zoneout, ZoneoutCell = ZoneoutCell, CellClip = CellClip };
    }

    /// <summary>The cell options as a description adds them, such as <c>, layer norm, zoneout 0.1</c>; empty when none.</summary>
    public string DescribeCellOptions() =>
        (LayerNorm ? ", layer norm" : "")
        + (Zoneout > 0 ? $", zoneout {Zoneout.ToString(CultureInfo.InvariantCulture)}" : "")
        + (ZoneoutCell > 0 ? $", cell zoneout {ZoneoutCell.ToString(CultureInfo.InvariantCulture)}" : "")
        + (CellClip > 0 ? $", cell clip {CellClip.ToString(CultureInfo.InvariantCulture)}" : "");

    /// <summary>Outputs per prediction: labels, tags or tokens, or 1 for regression.</summary>
    public int OutputSize => OutputVocabulary?.Count ?? 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public TaskSpec Validate()
    {
        if (HiddenSize <= 0) throw new ArgumentException($"hidden size must be positive, got {HiddenSize}");
        if (NumLayers <= 0) throw new ArgumentException($"number of layers must be positive, got {NumLayers}");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}");
        if (TokenInputs == (FeatureSize > 0)) throw new ArgumentException("a task reads either tokens (an input vocabulary) or numeric features (a feature size), not both or neither");
        if (TokenInputs && EmbeddingSize <= 0) throw new ArgumentException($"embedding size must be positive, got {EmbeddingSize}");
        if (!IsRegression && OutputVocabulary is null) throw new ArgumentException($"task {Task.ToName()} needs an output vocabulary");
        var task = TaskRegistry.Get(Task);
        if (!task.Accepts(TaskOptions.Bidirectional) && Bidirectional)
            throw new ArgumentException($"task {Task.ToName()} reads left to right and cannot be bidirectional");
        task.Validate(this);
        if (Softmax == SoftmaxKind.Class)
        {
            if (!task.Accepts(TaskOptions.Softmax)) throw new ArgumentException("a class-based softmax is for the word language model");
            if (WordClasses is null) throw new ArgumentException("a class-based softmax needs the class of every word");
            GpuRnn.Nn.WordClasses.FromClassOf(WordClasses, OutputSize);
        }
        if (RecurrentInit == RecurrentInit.Identity && Cell is not (RnnCellKind.RnnRelu or RnnCellKind.RnnTanh))
            throw new ArgumentException($"the identity initialisation (IRNN) is for rnn_relu and rnn_tanh, not {Cell.ToName()}");
        if (ForgetBias && Cell != RnnCellKind.Lstm) throw new ArgumentException($"a forget-gate bias needs an lstm, not {Cell.ToName()}");
        Rnn.Validate();
        return this;
    }

    /// <summary>One line such as <c>classify: lstm, 1 layer of 64, bidirectional, embedding 32, 3 labels, last-state pooling</c>.</summary>
    public override string ToString()
    {
        var s = $"{Task.ToName()}: {Cell.ToName()}, {NumLayers} layer{(NumLayers == 1 ? "" : "s")} of {HiddenSize}";
        if (Bidirectional) s += ", bidirectional";
        s += TokenInputs ? $", embedding {EmbeddingSize} over {InputVocabulary!.Count} {InputTokenization.ToName()} tokens" : $", {FeatureSize} features per step";
        if (Dropout > 0) s += $", dropout {Dropout.ToString(CultureInfo.InvariantCulture)}";
        if (RecurrentInit != RecurrentInit.Default) s += $", {RecurrentInit.ToName()} init";
        if (ForgetBias) s += ", forget bias 1";
        s += DescribeCellOptions();
        s += TaskRegistry.Get(Task).DescribeOutputs(this);
        return s;
    }

    /// <summary>The spec as a JSON object with snake_case keys (how checkpoints store it).</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["task"] = Task.ToName(),
            ["cell"] = Cell.ToName(),
            ["hidden_size"] = HiddenSize,
            ["num_layers"] = NumLayers,
            ["bidirectional"] = Bidirectional,
            ["dropout"] = Dropout,
            ["recurrent_init"] = RecurrentInit.ToName(),
            ["forget_bias"] = ForgetBias,
            ["gru_variant"] = GruVariant.ToName(),
            ["embedding_size"] = EmbeddingSize,
            ["feature_size"] = FeatureSize,
            ["input_tokenization"] = InputTokenization.ToName(),
            ["output_tokenization"] = OutputTokenization.ToName(),
            ["pooling"] = Pooling.ToName(),
            ["softmax"] = Softmax.ToName(),
            ["reverse_source"] = ReverseSource,
            ["max_output_length"] = MaxOutputLength,
            ["length"] = Length,
            ["copy_count"] = CopyCount,
        };
        JsonFields.AddCellOptions(o, LayerNorm, Zoneout, ZoneoutCell, CellClip);
        if (InputVocabulary is not null) o["input_vocabulary"] = JsonNode.Parse(InputVocabulary.ToJson());
        if (OutputVocabulary is not null) o["output_vocabulary"] = JsonNode.Parse(OutputVocabulary.ToJson());
        if (WordClasses is not null) o["word_classes"] = new JsonArray(WordClasses.Select(c => (JsonNode)c).ToArray());
        return o.ToJsonString();
    }

    /// <summary>Reads <see cref="ToJson"/>'s form.</summary>
    /// <exception cref="InvalidDataException">Not such an object, or a field is missing or invalid.</exception>
    public static TaskSpec FromJson(string json) => JsonFields.Read(json, "the task spec", f => new TaskSpec
    {
        Task = TaskNames.ParseTask(f.Get<string>("task")),
        Cell = RnnNames.ParseCell(f.Get<string>("cell")),
        HiddenSize = f.Get<int>("hidden_size"),
        NumLayers = f.Get<int>("num_layers"),
        Bidirectional = f.Get<bool>("bidirectional"),
        Dropout = f.Get<double>("dropout"),
        RecurrentInit = RecurrentInitializer.Parse(f.Get<string>("recurrent_init")),
        ForgetBias = f.Get<bool>("forget_bias"),
        GruVariant = RnnNames.ParseGruVariant(f.Get<string>("gru_variant")),
        LayerNorm = f.Optional("layer_norm", false),
        Zoneout = f.Optional("zoneout", 0.0),
        ZoneoutCell = f.Optional("zoneout_cell", 0.0),
        CellClip = f.Optional("cell_clip", 0.0),
        EmbeddingSize = f.Get<int>("embedding_size"),
        FeatureSize = f.Get<int>("feature_size"),
        InputVocabulary = VocabularyAt(f, "input_vocabulary"),
        InputTokenization = Tokenizer.Parse(f.Get<string>("input_tokenization")),
        OutputVocabulary = VocabularyAt(f, "output_vocabulary"),
        OutputTokenization = Tokenizer.Parse(f.Get<string>("output_tokenization")),
        Pooling = TaskNames.ParsePooling(f.Get<string>("pooling")),
        Softmax = TaskNames.ParseSoftmax(f.Get<string>("softmax")),
        WordClasses = f["word_classes"] is JsonArray a ? a.Select(n => n!.GetValue<int>()).ToArray() : null,
        ReverseSource = f.Get<bool>("reverse_source"),
        MaxOutputLength = f.Get<int>("max_output_length"),
        Length = f.Get<int>("length"),
        CopyCount = f.Get<int>("copy_count"),
    }.Validate());

    private static Vocabulary? VocabularyAt(JsonFields f, string key) => f[key] is { } node ? Vocabulary.FromJson(node.ToJsonString()) : null;
}
