namespace GpuRnn.Nn;

/// <summary>
/// The architecture of a stack of recurrent layers, with torch.nn.RNN/LSTM/GRU's meaning for
/// every field. Inputs are <c>[T, B, InputSize]</c>; outputs <c>[T, B, D * OutputSize]</c>
/// where D is 2 when bidirectional and OutputSize is ProjSize when set, else HiddenSize.
/// </summary>
/// <param name="Cell">The recurrent cell.</param>
/// <param name="InputSize">Features per step of the input, I.</param>
/// <param name="HiddenSize">Hidden units per direction, H (LSTM: size of the cell state).</param>
/// <param name="NumLayers">Stacked layers, L.</param>
/// <param name="Bidirectional">Run a reverse direction beside the forward one.</param>
/// <param name="Bias">Whether <c>bias_ih</c> and <c>bias_hh</c> exist.</param>
/// <param name="ProjSize">LSTM only: size P of the projected hidden state (0 = none); P &lt; H.</param>
/// <param name="Peepholes">LSTM only: Gers and Schmidhuber peepholes (i and f see c(t-1), o sees c(t)).</param>
/// <param name="GruVariant">GRU only: where the reset gate is applied.</param>
/// <param name="LayerNorm">LSTM and reset-after GRU: layer normalisation inside the cell (Ba et al. 2016, as Haste's
/// LayerNormLSTM/LayerNormGRU): gates = LN_ih(W_ih x) + LN_hh(W_hh h) + b, and for the LSTM h = o * tanh(LN_cell(c)).</param>
/// <param name="Zoneout">LSTM and GRU: zoneout probability on h (Krueger et al. 2016), in [0, 1).</param>
/// <param name="ZoneoutCell">LSTM only: zoneout probability on c, in [0, 1).</param>
/// <param name="CellClip">LSTM only: the cell state is clipped to [-k, k] every step (cuDNN CUDNN_RNN_CLIP_MINMAX, ONNX LSTM clip); 0 = none.</param>
public sealed record RnnSpec(
    RnnCellKind Cell,
    int InputSize,
    int HiddenSize,
    int NumLayers = 1,
    bool Bidirectional = false,
    bool Bias = true,
    int ProjSize = 0,
    bool Peepholes = false,
    GruVariant GruVariant = GruVariant.ResetAfter,
    bool LayerNorm = false,
    double Zoneout = 0,
    double ZoneoutCell = 0,
    double CellClip = 0)
{
    /// <summary>Number of directions, D: 2 when bidirectional, else 1.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Size of h per direction: ProjSize when set, else HiddenSize.</summary>
    public int StateSize => ProjSize > 0 ? ProjSize : HiddenSize;

    /// <summary>Features per step of the output, D * StateSize.</summary>
    public int OutputSize => Directions * StateSize;

    /// <summary>Gate rows per hidden unit (4, 3 or 1).</summary>
    public int GateCount => Cell.GateCount();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public RnnSpec Validate()
    {
        if (InputSize <= 0) throw new ArgumentException($"input_size must be positive, got {InputSize}");
        if (HiddenSize <= 0) throw new ArgumentException($"hidden_size must be positive, got {HiddenSize}");
        if (NumLayers <= 0) throw new ArgumentException($"num_layers must be positive, got {NumLayers}");
        if (ProjSize < 0) throw new ArgumentException($"proj_size must be zero or positive, got {ProjSize}");
        if (ProjSize > 0 && Cell != RnnCellKind.Lstm)
            throw new ArgumentException($"proj_size is only defined for lstm, not {Cell.ToName()}");
        if (ProjSize >= HiddenSize && ProjSize > 0)
            throw new ArgumentException($"proj_size {ProjSize} must be smaller than hidden_size {HiddenSize}");
        if (Peepholes && Cell != RnnCellKind.Lstm)
            throw new ArgumentException($"peepholes are only defined for lstm, not {Cell.ToName()}");
        RnnCellOptions.Validate(Cell, GruVariant, LayerNorm, Zoneout, ZoneoutCell, CellClip);
        return this;
    }

    /// <summary>The descriptor of layer <paramref name="layer"/> (0-based).</summary>
    public RnnLayerDesc Layer(int layer)
    {
        if ((uint)layer >= (uint)NumLayers)
            throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} does not exist (num_layers {NumLayers})");
        return new RnnLayerDesc(Cell, layer == 0 ? InputSize : OutputSize, HiddenSize, ProjSize, Directions, Bias, Peepholes, GruVariant,
            LayerNorm, Zoneout, ZoneoutCell, CellClip);
    }

    /// <summary>One line such as <c>lstm input 64, hidden 128, 2 layers, bidirectional, proj 32</c>.</summary>
    public override string ToString()
    {
        var s = $"{Cell.ToName()} input {InputSize}, hidden {HiddenSize}, {NumLayers} layer{(NumLayers == 1 ? "" : "s")}";
        if (Bidirectional) s += ", bidirectional";
        if (!Bias) s += ", no bias";
        if (ProjSize > 0) s += $", proj {ProjSize}";
        if (Peepholes) s += ", peepholes";
        if (Cell == RnnCellKind.Gru && GruVariant == GruVariant.ResetBefore) s += ", reset_before";
        if (LayerNorm) s += ", layer norm";
        if (Zoneout > 0) s += $", zoneout {Zoneout.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        if (ZoneoutCell > 0) s += $", zoneout_cell {ZoneoutCell.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        if (CellClip > 0) s += $", cell clip {CellClip.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        return s;
    }
}

/// <summary>
/// One layer of a stack as a backend sees it: every direction of it runs in one backend call.
/// </summary>
/// <param name="Cell">The recurrent cell.</param>
/// <param name="InputSize">Features per step of this layer's input.</param>
/// <param name="HiddenSize">Hidden units per direction, H.</param>
/// <param name="ProjSize">LSTM projection size P, or 0.</param>
/// <param name="Directions">1 or 2; direction 1 runs backwards in time.</param>
/// <param name="Bias">Whether biases exist.</param>
/// <param name="Peepholes">LSTM peepholes.</param>
/// <param name="GruVariant">GRU reset placement.</param>
/// <param name="LayerNorm">Layer normalisation inside the cell (see <see cref="RnnSpec.LayerNorm"/>).</param>
/// <param name="Zoneout">Zoneout probability on h.</param>
/// <param name="ZoneoutCell">LSTM zoneout probability on c.</param>
/// <param name="CellClip">LSTM cell clip k (0 = none).</param>
/// <param name="ZoneoutSeed">Seed of this call's zoneout masks in training: mask element n keeps the previous
/// value when CounterRng.Uniform(seed, n) &lt; z (see <see cref="RnnCellOptions.KeepsPrevious"/>). The stack draws a
/// fresh one per training forward; the backward gets the same descriptor.</param>
public readonly record struct RnnLayerDesc(
    RnnCellKind Cell,
    int InputSize,
    int HiddenSize,
    int ProjSize,
    int Directions,
    bool Bias,
    bool Peepholes,
    GruVariant GruVariant,
    bool LayerNorm = false,
    double Zoneout = 0,
    double ZoneoutCell = 0,
    double CellClip = 0,
    ulong ZoneoutSeed = 0)
{
    /// <summary>Whether the layer uses any of layer norm, zoneout or cell clipping (the options only the reference CPU path runs).</summary>
    public bool HasCellOptions => LayerNorm || Zoneout > 0 || ZoneoutCell > 0 || CellClip > 0;

    /// <summary>Gate rows per hidden unit (4, 3 or 1).</summary>
    public int GateCount => Cell.GateCount();

    /// <summary>Size of h per direction: ProjSize when set, else HiddenSize.</summary>
    public int StateSize => ProjSize > 0 ? ProjSize : HiddenSize;

    /// <summary>Features per step of the layer's output, Directions * StateSize.</summary>
    public int OutputSize => Directions * StateSize;

    /// <summary>True for LSTM, the only cell with a cell state c.</summary>
    public bool HasCellState => Cell == RnnCellKind.Lstm;
}
