using System.Globalization;
using System.Text.Json.Nodes;

namespace GpuRnn.Tasks;

/// <summary>
/// The architecture of a character-level language model: embedding [V, E], a recurrent stack
/// (E to H, L layers, dropout between layers and on the top output), and a linear decoder [V, H].
/// </summary>
/// <param name="Cell">The recurrent cell.</param>
/// <param name="VocabSize">Characters in the vocabulary, V.</param>
/// <param name="EmbeddingSize">Width of a character's vector, E.</param>
/// <param name="HiddenSize">Hidden units per layer, H.</param>
/// <param name="NumLayers">Stacked recurrent layers, L.</param>
/// <param name="Dropout">Dropout probability between recurrent layers and before the decoder, in training.</param>
/// <param name="GruVariant">GRU only: where the reset gate is applied.</param>
/// <param name="RecurrentInit">How the recurrent weights start.</param>
/// <param name="ForgetBias">LSTM only: start the forget gate's bias at 1.</param>
/// <param name="LayerNorm">LSTM and GRU: layer normalisation inside the cell (<see cref="RnnSpec.LayerNorm"/>).</param>
/// <param name="Zoneout">LSTM and GRU: zoneout probability on h, in [0, 1).</param>
/// <param name="ZoneoutCell">LSTM only: zoneout probability on c, in [0, 1).</param>
/// <param name="CellClip">LSTM only: the cell state is clipped to [-k, k] every step; 0 = none.</param>
public sealed record CharModelSpec(
    RnnCellKind Cell,
    int VocabSize,
    int EmbeddingSize,
    int HiddenSize,
    int NumLayers = 1,
    double Dropout = 0,
    GruVariant GruVariant = GruVariant.ResetAfter,
    RecurrentInit RecurrentInit = RecurrentInit.Default,
    bool ForgetBias = false,
    bool LayerNorm = false,
    double Zoneout = 0,
    double ZoneoutCell = 0,
    double CellClip = 0)
{
    /// <summary>The recurrent stack's spec.</summary>
    public RnnSpec Rnn => new(Cell, EmbeddingSize, HiddenSize, NumLayers, GruVariant: GruVariant,
        LayerNorm: LayerNorm, Zoneout: Zoneout, ZoneoutCell: ZoneoutCell, CellClip: CellClip);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public CharModelSpec Validate()
    {
        if (VocabSize <= 0) throw new ArgumentException($"vocabulary size must be positive, got {VocabSize}");
        if (EmbeddingSize <= 0) throw new ArgumentException($"embedding size must be positive, got {EmbeddingSize}");
        if (HiddenSize <= 0) throw new ArgumentException($"hidden size must be positive, got {HiddenSize}");
        if (NumLayers <= 0) throw new ArgumentException($"number of layers must be positive, got {NumLayers}");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}");
        Rnn.Validate();
        return this;
    }

    /// <summary>Trainable parameters in total.</summary>
    public long ParameterCount
    {
        get
        {
            long g = Cell.GateCount() * (long)HiddenSize, total = (long)VocabSize * EmbeddingSize + (long)VocabSize * HiddenSize + VocabSize;
            for (var k = 0; k < NumLayers; k++) total += g * ((k == 0 ? EmbeddingSize : HiddenSize) + HiddenSize + 2);
            // Layer norm: a gain and a bias for the input and the recurrent products [G*H] and, for the LSTM, for c [H].
            if (LayerNorm) total += NumLayers * (4 * g + (Cell == RnnCellKind.Lstm ? 2L * HiddenSize : 0));
            return total;
        }
    }

    /// <summary>One line such as <c>lstm, 2 layers of 128, embedding 32, vocabulary 65, dropout 0.1</c>.</summary>
    public override string ToString() =>
        $"{Cell.ToName()}{(Cell == RnnCellKind.Gru && GruVariant == GruVariant.ResetBefore ? " (reset_before)" : "")}, " +
        $"{NumLayers} layer{(NumLayers == 1 ? "" : "s")} of {HiddenSize}, embedding {EmbeddingSize}, vocabulary {VocabSize}" +
        (Dropout > 0 ? $", dropout {Dropout.ToString(CultureInfo.InvariantCulture)}" : "") +
        (RecurrentInit != RecurrentInit.Default ? $", {RecurrentInit.ToName()} init" : "") +
        (ForgetBias ? ", forget bias 1" : "") +
        (LayerNorm ? ", layer norm" : "") +
        (Zoneout > 0 ? $", zoneout {Zoneout.ToString(CultureInfo.InvariantCulture)}" : "") +
        (ZoneoutCell > 0 ? $", cell zoneout {ZoneoutCell.ToString(CultureInfo.InvariantCulture)}" : "") +
        (CellClip > 0 ? $", cell clip {CellClip.ToString(CultureInfo.InvariantCulture)}" : "") +
        $" ({ParameterCount:N0} parameters)";

    /// <summary>The spec as a JSON object with snake_case keys (how checkpoints store it).</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["cell"] = Cell.ToName(),
            ["vocab_size"] = VocabSize,
            ["embedding_size"] = EmbeddingSize,
            ["hidden_size"] = HiddenSize,
            ["num_layers"] = NumLayers,
            ["dropout"] = Dropout,
            ["gru_variant"] = GruVariant.ToName(),
            ["recurrent_init"] = RecurrentInit.ToName(),
            ["forget_bias"] = ForgetBias,
        };
        JsonFields.AddCellOptions(o, LayerNorm, Zoneout, ZoneoutCell, CellClip);
        return o.ToJsonString();
    }

    /// <summary>Reads <see cref="ToJson"/>'s form.</summary>
    /// <exception cref="InvalidDataException">Not such an object, or a field is missing or invalid.</exception>
    public static CharModelSpec FromJson(string json) => JsonFields.Read(json, "the model spec", f => new CharModelSpec(
        RnnNames.ParseCell(f.Get<string>("cell")),
        f.Get<int>("vocab_size"),
        f.Get<int>("embedding_size"),
        f.Get<int>("hidden_size"),
        f.Get<int>("num_layers"),
        f.Get<double>("dropout"),
        RnnNames.ParseGruVariant(f.Get<string>("gru_variant")),
        RecurrentInitializer.Parse(f.Get<string>("recurrent_init")),
        f.Get<bool>("forget_bias"),
        f.Optional("layer_norm", false),
        f.Optional("zoneout", 0.0),
        f.Optional("zoneout_cell", 0.0),
        f.Optional("cell_clip", 0.0)).Validate());
}
