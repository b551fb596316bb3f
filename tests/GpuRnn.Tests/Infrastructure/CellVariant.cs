namespace GpuRnn.Tests;

/// <summary>
/// The one spelling of cell variants in the tests, the golden files' and the CLI's:
/// <c>rnn_tanh</c>, <c>rnn_relu</c>, <c>lstm</c>, <c>lstm_peepholes</c>, <c>lstm_proj</c>,
/// <c>lstm_proj_peepholes</c>, <c>gru</c>, <c>gru_reset_before</c>.
/// </summary>
public sealed record CellVariant(RnnCellKind Kind, bool Peepholes, bool Projection, GruVariant GruVariant)
{
    /// <summary>The variant a name spells; an unknown name fails the test rather than falling back.</summary>
    public static CellVariant Parse(string name) => name switch
    {
        "rnn_tanh" => new(RnnCellKind.RnnTanh, false, false, GruVariant.ResetAfter),
        "rnn_relu" => new(RnnCellKind.RnnRelu, false, false, GruVariant.ResetAfter),
        "lstm" => new(RnnCellKind.Lstm, false, false, GruVariant.ResetAfter),
        "lstm_peepholes" => new(RnnCellKind.Lstm, true, false, GruVariant.ResetAfter),
        "lstm_proj" => new(RnnCellKind.Lstm, false, true, GruVariant.ResetAfter),
        "lstm_proj_peepholes" => new(RnnCellKind.Lstm, true, true, GruVariant.ResetAfter),
        "gru" => new(RnnCellKind.Gru, false, false, GruVariant.ResetAfter),
        "gru_reset_before" => new(RnnCellKind.Gru, false, false, GruVariant.ResetBefore),
        _ => throw new ArgumentException($"unknown cell variant '{name}'", nameof(name)),
    };
}
