namespace GpuRnn.Nn;

/// <summary>The recurrent cell of a layer. Gate order follows PyTorch.</summary>
public enum RnnCellKind
{
    /// <summary>RNN, h' = tanh(W_ih x + b_ih + W_hh h + b_hh). One gate.</summary>
    RnnTanh,

    /// <summary>RNN with relu instead of tanh. One gate.</summary>
    RnnRelu,

    /// <summary>LSTM; gates i, f, g, o (4H rows); optional peepholes and projection.</summary>
    Lstm,

    /// <summary>GRU; gates r, z, n (3H rows); reset applied after or before the hidden matmul.</summary>
    Gru,
}

/// <summary>Where a GRU applies its reset gate.</summary>
public enum GruVariant
{
    /// <summary>cuDNN and PyTorch: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).</summary>
    ResetAfter,

    /// <summary>Cho et al. 2014: n = tanh(W_in x + b_in + W_hn (r * h) + b_hn).</summary>
    ResetBefore,
}

/// <summary>The names used in files, metadata and on the command line.</summary>
public static class RnnNames
{
    /// <summary><c>lstm</c>, <c>gru</c>, <c>rnn_tanh</c> or <c>rnn_relu</c>.</summary>
    public static string ToName(this RnnCellKind cell) => cell switch
    {
        RnnCellKind.Lstm => "lstm",
        RnnCellKind.Gru => "gru",
        RnnCellKind.RnnTanh => "rnn_tanh",
        RnnCellKind.RnnRelu => "rnn_relu",
        _ => throw new ArgumentOutOfRangeException(nameof(cell)),
    };

    /// <summary>Parses a cell name; the error lists the accepted names.</summary>
    public static RnnCellKind ParseCell(string name) => CellNames.Parse(name);

    private static readonly NameTable<RnnCellKind> CellNames = new NameTable<RnnCellKind>("cell")
        .Add(RnnCellKind.Lstm, "lstm")
        .Add(RnnCellKind.Gru, "gru")
        .Add(RnnCellKind.RnnTanh, "rnn_tanh", "rnn", "tanh")
        .Add(RnnCellKind.RnnRelu, "rnn_relu", "relu");

    /// <summary><c>reset_after</c> or <c>reset_before</c>.</summary>
    public static string ToName(this GruVariant variant) => GruVariantNames.Name(variant);

    /// <summary>Parses a GRU variant name.</summary>
    public static GruVariant ParseGruVariant(string name) => GruVariantNames.Parse(name);

    private static readonly NameTable<GruVariant> GruVariantNames = new NameTable<GruVariant>("gru_variant", otherwise: GruVariant.ResetBefore)
        .Add(GruVariant.ResetAfter, "reset_after")
        .Add(GruVariant.ResetBefore, "reset_before");

    /// <summary>Gate rows per hidden unit: 4 for LSTM, 3 for GRU, 1 for an RNN.</summary>
    public static int GateCount(this RnnCellKind cell) => cell switch
    {
        RnnCellKind.Lstm => 4,
        RnnCellKind.Gru => 3,
        _ => 1,
    };
}
