namespace GpuRnn.Nn;

/// <summary>An LSTM stack, like torch.nn.LSTM (gates i, f, g, o), optionally with projection and peepholes.</summary>
/// <param name="backend">Where parameters live and compute runs.</param>
/// <param name="inputSize">Features per input step, I.</param>
/// <param name="hiddenSize">Hidden units per direction, H (size of the cell state).</param>
/// <param name="numLayers">Stacked layers, L.</param>
/// <param name="bias">Whether the layers have biases.</param>
/// <param name="bidirectional">Also run each layer backwards in time.</param>
/// <param name="projSize">Size of the projected hidden state P (0 = none).</param>
/// <param name="peepholes">Gers and Schmidhuber peepholes.</param>
/// <param name="dtype">Parameter dtype.</param>
/// <param name="seed">Seed of the initial weights.</param>
/// <param name="dropout">Dropout between layers in training.</param>
/// <param name="layerNorm">Layer normalisation inside the cell (<see cref="RnnSpec.LayerNorm"/>).</param>
/// <param name="zoneout">Zoneout probability on h, in [0, 1).</param>
/// <param name="zoneoutCell">Zoneout probability on c, in [0, 1).</param>
/// <param name="cellClip">Clip the cell state to [-cellClip, cellClip] every step (0 = none).</param>
public sealed class Lstm(IBackend backend, int inputSize, int hiddenSize, int numLayers = 1, bool bias = true,
    bool bidirectional = false, int projSize = 0, bool peepholes = false, DType dtype = DType.Float32, ulong seed = 0, double dropout = 0,
    bool layerNorm = false, double zoneout = 0, double zoneoutCell = 0, double cellClip = 0)
    : RnnStack(backend, new RnnSpec(RnnCellKind.Lstm, inputSize, hiddenSize, numLayers, bidirectional, bias, projSize, peepholes,
        LayerNorm: layerNorm, Zoneout: zoneout, ZoneoutCell: zoneoutCell, CellClip: cellClip), dtype, seed, dropout);

/// <summary>A GRU stack, like torch.nn.GRU (gates r, z, n); <see cref="GruVariant.ResetBefore"/> gives Cho et al.'s form.</summary>
/// <param name="backend">Where parameters live and compute runs.</param>
/// <param name="inputSize">Features per input step, I.</param>
/// <param name="hiddenSize">Hidden units per direction, H.</param>
/// <param name="numLayers">Stacked layers, L.</param>
/// <param name="bias">Whether the layers have biases.</param>
/// <param name="bidirectional">Also run each layer backwards in time.</param>
/// <param name="variant">Where the reset gate is applied.</param>
/// <param name="dtype">Parameter dtype.</param>
/// <param name="seed">Seed of the initial weights.</param>
/// <param name="dropout">Dropout between layers in training.</param>
/// <param name="layerNorm">Layer normalisation inside the cell (reset_after only; <see cref="RnnSpec.LayerNorm"/>).</param>
/// <param name="zoneout">Zoneout probability on h, in [0, 1).</param>
public sealed class Gru(IBackend backend, int inputSize, int hiddenSize, int numLayers = 1, bool bias = true,
    bool bidirectional = false, GruVariant variant = GruVariant.ResetAfter, DType dtype = DType.Float32, ulong seed = 0, double dropout = 0,
    bool layerNorm = false, double zoneout = 0)
    : RnnStack(backend, new RnnSpec(RnnCellKind.Gru, inputSize, hiddenSize, numLayers, bidirectional, bias, GruVariant: variant,
        LayerNorm: layerNorm, Zoneout: zoneout), dtype, seed, dropout);

/// <summary>an RNN stack, like torch.nn.RNN, with tanh or relu.</summary>
/// <param name="backend">Where parameters live and compute runs.</param>
/// <param name="inputSize">Features per input step, I.</param>
/// <param name="hiddenSize">Hidden units per direction, H.</param>
/// <param name="numLayers">Stacked layers, L.</param>
/// <param name="nonlinearity"><c>tanh</c> or <c>relu</c>.</param>
/// <param name="bias">Whether the layers have biases.</param>
/// <param name="bidirectional">Also run each layer backwards in time.</param>
/// <param name="dtype">Parameter dtype.</param>
/// <param name="seed">Seed of the initial weights.</param>
/// <param name="dropout">Dropout between layers in training.</param>
public sealed class Rnn(IBackend backend, int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh",
    bool bias = true, bool bidirectional = false, DType dtype = DType.Float32, ulong seed = 0, double dropout = 0)
    : RnnStack(backend, new RnnSpec(ParseNonlinearity(nonlinearity), inputSize, hiddenSize, numLayers, bidirectional, bias), dtype, seed, dropout)
{
    private static RnnCellKind ParseNonlinearity(string nonlinearity) => nonlinearity switch
    {
        "tanh" => RnnCellKind.RnnTanh,
        "relu" => RnnCellKind.RnnRelu,
        _ => throw new ArgumentException($"unknown nonlinearity '{nonlinearity}' (expected tanh or relu)"),
    };
}
