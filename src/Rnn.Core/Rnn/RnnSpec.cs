namespace GpuRnn;

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
public sealed record RnnSpec(
    RnnCellKind Cell,
    int InputSize,
    int HiddenSize,
    int NumLayers = 1,
    bool Bidirectional = false,
    bool Bias = true,
    int ProjSize = 0,
    bool Peepholes = false,
    GruVariant GruVariant = GruVariant.ResetAfter)
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
        return this;
    }

    /// <summary>The descriptor of layer <paramref name="layer"/> (0-based).</summary>
    public RnnLayerDesc Layer(int layer)
    {
        if ((uint)layer >= (uint)NumLayers)
            throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} does not exist (num_layers {NumLayers})");
        return new RnnLayerDesc(Cell, layer == 0 ? InputSize : OutputSize, HiddenSize, ProjSize, Directions, Bias, Peepholes, GruVariant);
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
public readonly record struct RnnLayerDesc(
    RnnCellKind Cell,
    int InputSize,
    int HiddenSize,
    int ProjSize,
    int Directions,
    bool Bias,
    bool Peepholes,
    GruVariant GruVariant)
{
    /// <summary>Gate rows per hidden unit (4, 3 or 1).</summary>
    public int GateCount => Cell.GateCount();

    /// <summary>Size of h per direction: ProjSize when set, else HiddenSize.</summary>
    public int StateSize => ProjSize > 0 ? ProjSize : HiddenSize;

    /// <summary>Features per step of the layer's output, Directions * StateSize.</summary>
    public int OutputSize => Directions * StateSize;

    /// <summary>True for LSTM, the only cell with a cell state c.</summary>
    public bool HasCellState => Cell == RnnCellKind.Lstm;
}
