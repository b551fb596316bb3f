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
    public static RnnCellKind ParseCell(string name) => name.Trim().ToLowerInvariant() switch
    {
        "lstm" => RnnCellKind.Lstm,
        "gru" => RnnCellKind.Gru,
        "rnn_tanh" or "rnn" or "tanh" => RnnCellKind.RnnTanh,
        "rnn_relu" or "relu" => RnnCellKind.RnnRelu,
        _ => throw new ArgumentException($"unknown cell '{name}' (expected lstm, gru, rnn_tanh or rnn_relu)"),
    };

    /// <summary><c>reset_after</c> or <c>reset_before</c>.</summary>
    public static string ToName(this GruVariant variant) => variant == GruVariant.ResetAfter ? "reset_after" : "reset_before";

    /// <summary>Parses a GRU variant name.</summary>
    public static GruVariant ParseGruVariant(string name) => name.Trim().ToLowerInvariant() switch
    {
        "reset_after" => GruVariant.ResetAfter,
        "reset_before" => GruVariant.ResetBefore,
        _ => throw new ArgumentException($"unknown gru_variant '{name}' (expected reset_after or reset_before)"),
    };

    /// <summary>Gate rows per hidden unit: 4 for LSTM, 3 for GRU, 1 for an RNN.</summary>
    public static int GateCount(this RnnCellKind cell) => cell switch
    {
        RnnCellKind.Lstm => 4,
        RnnCellKind.Gru => 3,
        _ => 1,
    };
}
