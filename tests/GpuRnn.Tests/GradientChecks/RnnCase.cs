using Xunit;

namespace GpuRnn.Tests.GradientChecks;

/// <summary>
/// One configuration of a recurrent stack: a cell variant with the stack options that interact
/// with it. <see cref="Configurations"/> crosses every variant with six option rows that cover
/// every pair of option values (layers x directions, layers x bias, ..., lengths x initial states).
/// </summary>
/// <param name="Cell">The cell and its options.</param>
/// <param name="Layers">Stacked layers.</param>
/// <param name="Bidirectional">Whether each layer also runs backwards in time.</param>
/// <param name="Bias">Whether the layers have biases.</param>
/// <param name="VariableLengths">Whether sequences have their own lengths (some shorter than T, unsorted).</param>
/// <param name="InitialStates">Whether h0 (and c0 for LSTM) are given.</param>
/// <param name="Options">Cell options (layer norm, zoneout, cell clip) applied to the spec, or null for none.</param>
public sealed record RnnCase(CellVariant Cell, int Layers, bool Bidirectional, bool Bias, bool VariableLengths, bool InitialStates,
    CellOptionsCase? Options = null)
{
    /// <summary>A pairwise covering array of the options (layers 1-3, directions, bias, lengths, initial states).</summary>
    private static readonly (int Layers, bool Bidirectional, bool Bias, bool VariableLengths, bool InitialStates)[] OptionRows =
    [
        (1, false, true, false, false),
        (1, true, false, true, true),
        (2, false, false, true, false),
        (2, true, true, false, true),
        (3, false, true, true, true),
        (3, true, false, false, false),
    ];

    /// <summary>Every cell variant crossed with every option row.</summary>
    public static TheoryData<CellVariant, int, bool, bool, bool, bool> Configurations => Where(_ => true);

    /// <summary>The configurations with per-sequence lengths.</summary>
    public static TheoryData<CellVariant, int, bool, bool, bool, bool> VariableLengthConfigurations => Where(r => r.VariableLengths);

    /// <summary>The cell's kind in the public API.</summary>
    public RnnCellKind Kind => Cell.Kind();

    /// <summary>Whether the variant projects the LSTM hidden state.</summary>
    public bool Projection => Cell.Projection();

    /// <summary>Whether the variant has LSTM peepholes.</summary>
    public bool Peepholes => Cell.Peepholes();

    /// <summary>The stack's architecture for the given sizes (<paramref name="projSize"/> is used only by projecting variants).</summary>
    public RnnSpec Spec(int inputSize, int hiddenSize, int projSize) => new(Kind, inputSize, hiddenSize, Layers, Bidirectional, Bias,
        Projection ? projSize : 0, Peepholes, Cell.GruVariant(), Options?.LayerNorm ?? false, Options?.Zoneout ?? 0,
        Options?.ZoneoutCell ?? 0, Options?.CellClip ?? 0);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Cell}, {Layers} layer{(Layers == 1 ? "" : "s")}{(Bidirectional ? ", bidirectional" : "")}{(Bias ? "" : ", no bias")}" +
        $"{(VariableLengths ? ", variable lengths" : "")}{(InitialStates ? ", initial states" : "")}{(Options is null ? "" : $", {Options}")}";

    private static TheoryData<CellVariant, int, bool, bool, bool, bool> Where(
        Func<(int Layers, bool Bidirectional, bool Bias, bool VariableLengths, bool InitialStates), bool> keep)
    {
        var data = new TheoryData<CellVariant, int, bool, bool, bool, bool>();
        foreach (var cell in Enum.GetValues<CellVariant>())
            foreach (var row in OptionRows)
                if (keep(row)) data.Add(cell, row.Layers, row.Bidirectional, row.Bias, row.VariableLengths, row.InitialStates);
        return data;
    }
}

/// <summary>The cell options of a case: layer norm, zoneout on h and c, cell clip k (0 = none).</summary>
public sealed record CellOptionsCase(bool LayerNorm, double Zoneout, double ZoneoutCell, double CellClip)
{
    /// <summary>Whether a training forward draws zoneout masks.</summary>
    public bool HasZoneout => Zoneout > 0 || ZoneoutCell > 0;
}
