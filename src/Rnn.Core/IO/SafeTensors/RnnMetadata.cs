using System.Globalization;

namespace GpuRnn.IO;

/// <summary>
/// The <c>__metadata__</c> keys that describe a recurrent stack in a safetensors file. Every value
/// is a string: <c>cell</c> (lstm, gru, rnn_tanh, rnn_relu), <c>input_size</c>, <c>hidden_size</c>,
/// <c>num_layers</c>, <c>bidirectional</c> (true/false), <c>bias</c> (true/false),
/// <c>proj_size</c>, <c>peepholes</c> (true/false) and, for GRU, <c>gru_variant</c>
/// (reset_after, reset_before); with the cell options, <c>layer_norm</c> (true), <c>zoneout</c>,
/// <c>zoneout_cell</c> and <c>cell_clip</c> (numbers), written only when set so that other files
/// stay as they were. Tensors alone give everything except rnn_tanh versus rnn_relu, the GRU
/// variant, zoneout and the cell clip.
/// </summary>
public static class RnnMetadata
{
    /// <summary><c>cell</c>: lstm, gru, rnn_tanh or rnn_relu.</summary>
    public const string Cell = "cell";

    /// <summary><c>input_size</c>: features per input step, I.</summary>
    public const string InputSize = "input_size";

    /// <summary><c>hidden_size</c>: hidden units per direction, H.</summary>
    public const string HiddenSize = "hidden_size";

    /// <summary><c>num_layers</c>: stacked layers, L.</summary>
    public const string NumLayers = "num_layers";

    /// <summary><c>bidirectional</c>: true or false.</summary>
    public const string Bidirectional = "bidirectional";

    /// <summary><c>bias</c>: true or false.</summary>
    public const string Bias = "bias";

    /// <summary><c>proj_size</c>: LSTM projection size P, 0 for none.</summary>
    public const string ProjSize = "proj_size";

    /// <summary><c>peepholes</c>: true or false.</summary>
    public const string Peepholes = "peepholes";

    /// <summary><c>gru_variant</c>: reset_after (PyTorch's, the default) or reset_before.</summary>
    public const string GruVariant = "gru_variant";

    /// <summary><c>layer_norm</c>: true when the cell is layer-normalised (also evident from <c>layer_norm_ih_weight_l0</c>).</summary>
    public const string LayerNorm = "layer_norm";

    /// <summary><c>zoneout</c>: zoneout probability on h.</summary>
    public const string Zoneout = "zoneout";

    /// <summary><c>zoneout_cell</c>: LSTM zoneout probability on c.</summary>
    public const string ZoneoutCell = "zoneout_cell";

    /// <summary><c>cell_clip</c>: LSTM cell clip k.</summary>
    public const string CellClip = "cell_clip";

    /// <summary>Every key above.</summary>
    public static readonly IReadOnlyList<string> Keys =
        [Cell, InputSize, HiddenSize, NumLayers, Bidirectional, Bias, ProjSize, Peepholes, GruVariant, LayerNorm, Zoneout, ZoneoutCell, CellClip];

    /// <summary>The metadata that describes <paramref name="spec"/> completely (gru_variant only for GRU).</summary>
    public static Dictionary<string, string> From(RnnSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var m = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Cell] = spec.Cell.ToName(),
            [InputSize] = Format(spec.InputSize),
            [HiddenSize] = Format(spec.HiddenSize),
            [NumLayers] = Format(spec.NumLayers),
            [Bidirectional] = Format(spec.Bidirectional),
            [Bias] = Format(spec.Bias),
            [ProjSize] = Format(spec.ProjSize),
            [Peepholes] = Format(spec.Peepholes),
        };
        if (spec.Cell == RnnCellKind.Gru) m[GruVariant] = spec.GruVariant.ToName();
        if (spec.LayerNorm) m[LayerNorm] = Format(true);
        if (spec.Zoneout > 0) m[Zoneout] = Format(spec.Zoneout);
        if (spec.ZoneoutCell > 0) m[ZoneoutCell] = Format(spec.ZoneoutCell);
        if (spec.CellClip > 0) m[CellClip] = Format(spec.CellClip);
        return m;
    }

    /// <summary>A number as metadata writes it: shortest round-trip form, invariant culture.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Parses a number value; the error names the key and the value.</summary>
    public static double ParseDouble(string key, string value, string source)
    {
        if (double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) return v;
        throw new InvalidDataException($"{source}: metadata {key}='{value}' is not a finite number");
    }

    /// <summary>An integer as metadata writes it.</summary>
    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A boolean as metadata writes it: <c>true</c> or <c>false</c>.</summary>
    public static string Format(bool value) => value ? "true" : "false";

    /// <summary>Parses an integer value; the error names the key and the value.</summary>
    public static int ParseInt(string key, string value, string source)
    {
        if (int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)) return v;
        throw new InvalidDataException($"{source}: metadata {key}='{value}' is not a whole number");
    }

    /// <summary>Parses a boolean value (true/false, any case, or 1/0); the error names the key and the value.</summary>
    public static bool ParseBool(string key, string value, string source) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => throw new InvalidDataException($"{source}: metadata {key}='{value}' is not true or false"),
    };
}
