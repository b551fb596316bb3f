namespace GpuRnn.Tests;

/// <summary>
/// Every cell and cell option the recurrent tests cover, spelt one way: as this enum in typed
/// theories, and by <see cref="CellVariants.Name"/> (<c>rnn_tanh</c>, <c>rnn_relu</c>, <c>lstm</c>,
/// <c>lstm_peepholes</c>, <c>lstm_proj</c>, <c>lstm_proj_peepholes</c>, <c>gru</c>,
/// <c>gru_reset_before</c>: the golden files' and the CLI's names) where a case is named by a string.
/// </summary>
public enum CellVariant
{
    /// <summary>RNN with tanh.</summary>
    RnnTanh,

    /// <summary>RNN with relu.</summary>
    RnnRelu,

    /// <summary>LSTM without options.</summary>
    Lstm,

    /// <summary>LSTM with Gers and Schmidhuber peepholes.</summary>
    LstmPeepholes,

    /// <summary>LSTM with a projection of the hidden state (proj_size).</summary>
    LstmProjection,

    /// <summary>LSTM with projection and peepholes.</summary>
    LstmProjectionPeepholes,

    /// <summary>GRU, reset applied after the hidden matmul (PyTorch, cuDNN).</summary>
    GruResetAfter,

    /// <summary>GRU, reset applied before the hidden matmul (Cho et al.).</summary>
    GruResetBefore,
}

/// <summary>What each <see cref="CellVariant"/> is, and its one name.</summary>
public static class CellVariants
{
    private static readonly (CellVariant Variant, string Name)[] Names =
    [
        (CellVariant.RnnTanh, "rnn_tanh"), (CellVariant.RnnRelu, "rnn_relu"), (CellVariant.Lstm, "lstm"),
        (CellVariant.LstmPeepholes, "lstm_peepholes"), (CellVariant.LstmProjection, "lstm_proj"),
        (CellVariant.LstmProjectionPeepholes, "lstm_proj_peepholes"), (CellVariant.GruResetAfter, "gru"),
        (CellVariant.GruResetBefore, "gru_reset_before"),
    ];

    /// <summary>The variant a name spells; an unknown name fails the test rather than falling back.</summary>
    public static CellVariant Parse(string name)
    {
        foreach (var (variant, n) in Names)
            if (n == name) return variant;
        throw new ArgumentException($"unknown cell variant '{name}'", nameof(name));
    }

    /// <summary>The variant's name, e.g. <c>lstm_proj</c>.</summary>
    public static string Name(this CellVariant variant) => Names.First(n => n.Variant == variant).Name;

    /// <summary>The cell's kind in the public API.</summary>
    public static RnnCellKind Kind(this CellVariant variant) => variant switch
    {
        CellVariant.RnnTanh => RnnCellKind.RnnTanh,
        CellVariant.RnnRelu => RnnCellKind.RnnRelu,
        CellVariant.GruResetAfter or CellVariant.GruResetBefore => RnnCellKind.Gru,
        _ => RnnCellKind.Lstm,
    };

    /// <summary>Whether the variant projects the LSTM hidden state.</summary>
    public static bool Projection(this CellVariant variant) => variant is CellVariant.LstmProjection or CellVariant.LstmProjectionPeepholes;

    /// <summary>Whether the variant has LSTM peepholes.</summary>
    public static bool Peepholes(this CellVariant variant) => variant is CellVariant.LstmPeepholes or CellVariant.LstmProjectionPeepholes;

    /// <summary>Where a GRU applies its reset (reset-after for every other cell too, as the specs default).</summary>
    public static GruVariant GruVariant(this CellVariant variant) =>
        variant == CellVariant.GruResetBefore ? global::GpuRnn.Nn.GruVariant.ResetBefore : global::GpuRnn.Nn.GruVariant.ResetAfter;
}
