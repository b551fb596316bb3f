using System.Globalization;

namespace GpuRnn;

/// <summary>
/// The <c>__metadata__</c> keys that describe a recurrent stack in a safetensors file. Every value
/// is a string: <c>cell</c> (lstm, gru, rnn_tanh, rnn_relu), <c>input_size</c>, <c>hidden_size</c>,
/// <c>num_layers</c>, <c>bidirectional</c> (true/false), <c>bias</c> (true/false),
/// <c>proj_size</c>, <c>peepholes</c> (true/false) and, for GRU, <c>gru_variant</c>
/// (reset_after, reset_before). Tensors alone give everything except rnn_tanh versus rnn_relu
/// and the GRU variant.
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

    /// <summary>Every key above.</summary>
    public static readonly IReadOnlyList<string> Keys =
        [Cell, InputSize, HiddenSize, NumLayers, Bidirectional, Bias, ProjSize, Peepholes, GruVariant];

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
        return m;
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
