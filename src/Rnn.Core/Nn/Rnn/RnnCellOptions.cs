using System.Globalization;

namespace GpuRnn.Nn;

/// <summary>
/// The cell options beyond PyTorch's: layer normalisation inside the cell, zoneout and LSTM cell
/// clipping. Their checks, the one definition of the zoneout masks (the same on every backend)
/// and the message a backend or exporter gives for an option it cannot run.
/// </summary>
/// <remarks>
/// Zoneout masks of one layer call with seed s, T steps, batch B, D directions, state size P and
/// hidden size H: the h mask of (direction d, time t, row b, unit j) is element
/// ((d*T + t)*B + b)*P + j, the c mask element D*T*B*P + ((d*T + t)*B + b)*H + j; the unit keeps its
/// previous value when CounterRng.Uniform(s, element) &lt; z.
/// </remarks>
public static class RnnCellOptions
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that the cell cannot take or that is out of range.</summary>
    public static void Validate(RnnCellKind cell, GruVariant variant, bool layerNorm, double zoneout, double zoneoutCell, double cellClip)
    {
        var gated = cell is RnnCellKind.Lstm or RnnCellKind.Gru;
        if (layerNorm && !gated)
            throw new ArgumentException($"layer_norm is only defined for lstm and gru, not {cell.ToName()}");
        if (layerNorm && cell == RnnCellKind.Gru && variant == GruVariant.ResetBefore)
            throw new ArgumentException("layer_norm is only defined for a reset_after gru (W_hn (r * h) has no single recurrent product to normalise)");
        if (!(zoneout >= 0 && zoneout < 1))
            throw new ArgumentException($"zoneout must be in [0, 1), got {Format(zoneout)}");
        if (!(zoneoutCell >= 0 && zoneoutCell < 1))
            throw new ArgumentException($"zoneout_cell must be in [0, 1), got {Format(zoneoutCell)}");
        if (zoneout > 0 && !gated)
            throw new ArgumentException($"zoneout is only defined for lstm and gru, not {cell.ToName()}");
        if (zoneoutCell > 0 && cell != RnnCellKind.Lstm)
            throw new ArgumentException($"zoneout_cell is only defined for lstm, not {cell.ToName()}");
        if (!(cellClip >= 0 && double.IsFinite(cellClip)))
            throw new ArgumentException($"cell_clip must be a finite number >= 0 (0 = none), got {Format(cellClip)}");
        if (cellClip > 0 && cell != RnnCellKind.Lstm)
            throw new ArgumentException($"cell_clip is only defined for lstm, not {cell.ToName()}");
    }

    /// <summary>Whether zoneout with probability <paramref name="z"/> keeps the previous value of mask element <paramref name="element"/>.</summary>
    public static bool KeepsPrevious(ulong seed, ulong element, double z) => z > 0 && CounterRng.Uniform(seed, element) < z;

    /// <summary>The first option of <paramref name="layer"/> named as on the command line (<c>--layer-norm</c>, ...), or null when it has none.</summary>
    public static string? FirstOption(RnnLayerDesc layer) =>
        layer.LayerNorm ? "layer norm (--layer-norm)"
        : layer.Zoneout > 0 ? "zoneout (--zoneout)"
        : layer.ZoneoutCell > 0 ? "cell zoneout (--zoneout-cell)"
        : layer.CellClip > 0 ? "cell clipping (--cell-clip)"
        : null;

    /// <summary>Throws <see cref="NotSupportedException"/> naming the option when <paramref name="layer"/> uses one that <paramref name="backend"/> does not run.</summary>
    public static void RefuseOn(string backend, RnnLayerDesc layer)
    {
        if (FirstOption(layer) is { } option)
            throw new NotSupportedException($"backend '{backend}' does not run {option} yet; use the cpu backend for such a model");
    }

    private static string Format(double v) => v.ToString(CultureInfo.InvariantCulture);
}
