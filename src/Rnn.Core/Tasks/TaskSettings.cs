namespace GpuRnn.Tasks;

/// <summary>
/// The choices a new task model is made from (the architecture and how the data is read); the
/// vocabularies, labels and classes come from the data. Defaults are the library's.
/// </summary>
public sealed record TaskSettings
{
    /// <summary>The task.</summary>
    public required TaskKind Task { get; init; }

    /// <summary>The recurrent cell.</summary>
    public RnnCellKind Cell { get; init; } = RnnCellKind.Lstm;

    /// <summary>Hidden units per layer and direction.</summary>
    public int HiddenSize { get; init; } = 64;

    /// <summary>Recurrent layers.</summary>
    public int NumLayers { get; init; } = 1;

    /// <summary>Bidirectional layers (classify and tag).</summary>
    public bool Bidirectional { get; init; }

    /// <summary>Dropout between layers and before the output layer.</summary>
    public double Dropout { get; init; }

    /// <summary>How the recurrent weights start.</summary>
    public RecurrentInit RecurrentInit { get; init; } = RecurrentInit.Default;

    /// <summary>LSTM forget-gate bias 1.</summary>
    public bool ForgetBias { get; init; }

    /// <summary>LSTM and GRU: layer normalisation inside the cell.</summary>
    public bool LayerNorm { get; init; }

    /// <summary>LSTM and GRU: zoneout probability on h, in [0, 1).</summary>
    public double Zoneout { get; init; }

    /// <summary>LSTM only: zoneout probability on c, in [0, 1).</summary>
    public double ZoneoutCell { get; init; }

    /// <summary>LSTM only: cell-state clip k (0 = none).</summary>
    public double CellClip { get; init; }

    /// <summary>Width of a token's vector.</summary>
    public int EmbeddingSize { get; init; } = 32;

    /// <summary>Many-to-one pooling (classify, adding).</summary>
    public Pooling Pooling { get; init; } = Pooling.Last;

    /// <summary>The word language model's output layer.</summary>
    public SoftmaxKind Softmax { get; init; } = SoftmaxKind.Class;

    /// <summary>Classes of a class-based softmax; 0 = about sqrt(V).</summary>
    public int Classes { get; init; }

    /// <summary>How input texts are cut into tokens; null = the task's default.</summary>
    public Tokenization? InputTokenization { get; init; }

    /// <summary>How seq2seq targets are cut into tokens; null = the task's default.</summary>
    public Tokenization? OutputTokenization { get; init; }

    /// <summary>Input tokens seen fewer times in the training data are read as <see cref="Vocabulary.Unknown"/>.</summary>
    public int MinCount { get; init; } = 1;

    /// <summary>Adding: steps T; copy: the delay T.</summary>
    public int Length { get; init; } = 50;

    /// <summary>Copy: symbols to remember.</summary>
    public int CopyCount { get; init; } = 10;

    /// <summary>Seq2seq: read the source backwards.</summary>
    public bool ReverseSource { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public TaskSettings Validate()
    {
        if (HiddenSize <= 0) throw new ArgumentException($"hidden size must be positive, got {HiddenSize}");
        if (NumLayers <= 0) throw new ArgumentException($"number of layers must be positive, got {NumLayers}");
        if (EmbeddingSize <= 0) throw new ArgumentException($"embedding size must be positive, got {EmbeddingSize}");
        if (MinCount <= 0) throw new ArgumentException($"the minimum count must be positive, got {MinCount}");
        if (Classes < 0) throw new ArgumentException($"the number of classes must not be negative, got {Classes}");
        RnnCellOptions.Validate(Cell, GruVariant.ResetAfter, LayerNorm, Zoneout, ZoneoutCell, CellClip);
        TaskRegistry.Get(Task).Validate(this);
        return this;
    }
}
