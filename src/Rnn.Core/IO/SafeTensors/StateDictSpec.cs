using System.Text.RegularExpressions;

namespace GpuRnn.IO;

/// <summary>
/// What a caller knows about a model that its tensors cannot say (command-line options, for
/// example). A hint that contradicts the file's metadata or tensors is an error.
/// </summary>
/// <param name="Cell">rnn_tanh versus rnn_relu for an RNN (a file's tensors look the same for both).</param>
/// <param name="GruVariant">Where a GRU applies its reset gate (the tensors look the same for both).</param>
public sealed record RnnSpecHints(RnnCellKind? Cell = null, GruVariant? GruVariant = null);

/// <summary>
/// Infers an <see cref="RnnSpec"/> from a PyTorch state_dict's names and shapes, so that a file
/// saved from torch.nn.RNN/LSTM/GRU loads without any metadata: the cell from the gate rows of
/// <c>weight_ih_l0</c> (4H: LSTM, 3H: GRU, H: RNN), H from <c>weight_hh_l0</c> (or <c>weight_hr_l0</c>),
/// I from <c>weight_ih_l0</c>, the layers from the <c>_l{k}</c> suffixes, the directions from
/// <c>_reverse</c>, biases from <c>bias_ih_l0</c>, projection from <c>weight_hr_l0</c>, peepholes from
/// <c>weight_ci_l0</c>. Metadata (<see cref="RnnMetadata"/>) and <see cref="RnnSpecHints"/> settle
/// rnn_tanh versus rnn_relu and the GRU variant; defaults are rnn_tanh and reset_after.
/// </summary>
public static partial class StateDictSpec
{
    [GeneratedRegex("^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr|weight_ci|weight_cf|weight_co|layer_norm_(?:ih|hh|cell)_(?:weight|bias))_l(0|[1-9][0-9]{0,5})(_reverse)?$")]
    private static partial Regex ParameterName();

    /// <summary>True for a PyTorch recurrent-layer parameter name such as <c>weight_hh_l1_reverse</c>.</summary>
    public static bool IsParameterName(string name) => ParameterName().IsMatch(name);

    /// <summary>
    /// The spec that the tensors describe, checked against <paramref name="metadata"/> and
    /// <paramref name="hints"/>. Every tensor must be a parameter of that spec with PyTorch's shape,
    /// and every parameter must be present; otherwise an <see cref="InvalidDataException"/> names the
    /// tensor, its shape and the expected shape (prefixed by <paramref name="source"/>).
    /// </summary>
    /// <param name="shapes">Parameter names and shapes (a state_dict or a file header).</param>
    /// <param name="metadata">Metadata strings (<see cref="RnnMetadata"/> keys; others are ignored), or null.</param>
    /// <param name="hints">What the caller says about the cell or GRU variant, or null.</param>
    /// <param name="source">Names the origin in messages, e.g. a file path.</param>
    public static RnnSpec Infer(IEnumerable<KeyValuePair<string, Shape>> shapes, IReadOnlyDictionary<string, string>? metadata = null,
        RnnSpecHints? hints = null, string source = "state_dict")
    {
        ArgumentNullException.ThrowIfNull(shapes);
        metadata ??= new Dictionary<string, string>();
        hints ??= new RnnSpecHints();
        var byName = new Dictionary<string, Shape>(StringComparer.Ordinal);
        int maxLayer = -1;
        var reverse = false;
        foreach (var (name, shape) in shapes)
        {
            var m = ParameterName().Match(name);
            if (!m.Success)
                throw Bad(source, $"tensor '{name}' {shape} is not a recurrent-layer parameter (expected PyTorch names such as weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_hr_l0, weight_ih_l0_reverse)");
            byName[name] = shape;
            maxLayer = Math.Max(maxLayer, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
            reverse |= m.Groups[3].Success;
        }
        var ih = Matrix(byName, "weight_ih_l0", "[G*H, I]", source);
        var hh = Matrix(byName, "weight_hh_l0", "[G*H, H] (or [G*H, P] with a projection)", source);
        var projection = byName.TryGetValue("weight_hr_l0", out var hr);
        if (projection && hr.Rank != 2)
            throw Bad(source, $"tensor 'weight_hr_l0' has shape {hr} but a matrix [P, H] was expected");
        int hidden = projection ? hr[1] : hh[1];
        int projSize = projection ? hr[0] : 0;
        if (hidden <= 0) throw Bad(source, $"tensor '{(projection ? "weight_hr_l0" : "weight_hh_l0")}' has shape {(projection ? hr : hh)}, which gives hidden size {hidden}");
        var gates = ih[0] % hidden == 0 ? ih[0] / hidden : -1;
        if (gates is not (1 or 3 or 4))
            throw Bad(source, $"tensor 'weight_ih_l0' has shape {ih}: its {ih[0]} rows are not 4*H (lstm), 3*H (gru) or H (rnn) for the hidden size H = {hidden} that {(projection ? "weight_hr_l0" : "weight_hh_l0")} {(projection ? hr : hh)} gives");
        var family = gates switch { 4 => RnnCellKind.Lstm, 3 => RnnCellKind.Gru, _ => RnnCellKind.RnnTanh };
        var familyEvidence = $"weight_ih_l0 {ih} has {gates}*H rows for H = {hidden}, which makes {FamilyName(family)}";

        var cell = ResolveCell(family, familyEvidence, metadata, hints, source);
        var variant = ResolveGruVariant(cell, metadata, hints, source);
        var inferred = new RnnSpec(cell, ih[1], hidden, maxLayer + 1, reverse, byName.ContainsKey("bias_ih_l0"), projSize,
            byName.ContainsKey("weight_ci_l0"), variant, byName.ContainsKey("layer_norm_ih_weight_l0"),
            Number(metadata, RnnMetadata.Zoneout, source), Number(metadata, RnnMetadata.ZoneoutCell, source), Number(metadata, RnnMetadata.CellClip, source));
        CheckMetadata(inferred, metadata, source, ih, hh);
        try { inferred.Validate(); }
        catch (ArgumentException e) { throw Bad(source, $"the tensors describe an invalid model: {e.Message}"); }
        CheckTensors(inferred, byName, source);
        return inferred;
    }

    /// <summary>Every parameter of <paramref name="spec"/> with its PyTorch shape, in state_dict order.</summary>
    public static IReadOnlyList<KeyValuePair<string, Shape>> ExpectedShapes(RnnSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new ExpectedTensors(long.MaxValue).AddRnn("", spec).Tensors;
    }

    private static RnnCellKind ResolveCell(RnnCellKind family, string evidence, IReadOnlyDictionary<string, string> metadata,
        RnnSpecHints hints, string source)
    {
        RnnCellKind? fromMetadata = null;
        if (metadata.TryGetValue(RnnMetadata.Cell, out var text))
        {
            try { fromMetadata = RnnNames.ParseCell(text); }
            catch (ArgumentException) { throw Bad(source, $"metadata cell='{text}' is not a cell name (expected lstm, gru, rnn_tanh or rnn_relu)"); }
            if (!SameFamily(fromMetadata.Value, family))
                throw Bad(source, $"metadata cell={text} contradicts the tensors: {evidence}");
        }
        if (hints.Cell is { } asked)
        {
            if (!SameFamily(asked, family))
                throw Bad(source, $"the cell asked for, {asked.ToName()}, contradicts the tensors: {evidence}");
            if (fromMetadata is { } m && m != asked)
                throw Bad(source, $"the cell asked for, {asked.ToName()}, contradicts the file's metadata cell={m.ToName()}");
            return asked;
        }
        return fromMetadata ?? family;
    }

    private static GruVariant ResolveGruVariant(RnnCellKind cell, IReadOnlyDictionary<string, string> metadata, RnnSpecHints hints, string source)
    {
        GruVariant? fromMetadata = null;
        if (metadata.TryGetValue(RnnMetadata.GruVariant, out var text) && cell == RnnCellKind.Gru)
        {
            try { fromMetadata = RnnNames.ParseGruVariant(text); }
            catch (ArgumentException) { throw Bad(source, $"metadata gru_variant='{text}' is not reset_after or reset_before"); }
        }
        if (hints.GruVariant is { } asked)
        {
            if (cell != RnnCellKind.Gru)
                throw Bad(source, $"a gru variant ({asked.ToName()}) was asked for, but the model is {FamilyName(cell)}");
            if (fromMetadata is { } m && m != asked)
                throw Bad(source, $"the gru variant asked for, {asked.ToName()}, contradicts the file's metadata gru_variant={m.ToName()}");
            return asked;
        }
        return fromMetadata ?? GruVariant.ResetAfter;
    }

    private static void CheckMetadata(RnnSpec inferred, IReadOnlyDictionary<string, string> metadata, string source, Shape ih, Shape hh)
    {
        void Int(string key, int actual, string evidence)
        {
            if (!metadata.TryGetValue(key, out var text)) return;
            var claimed = RnnMetadata.ParseInt(key, text, source);
            if (claimed != actual) throw Bad(source, $"metadata {key}={claimed} contradicts the tensors, which give {key} {actual} ({evidence})");
        }
        void Bool(string key, bool actual, string evidence)
        {
            if (!metadata.TryGetValue(key, out var text)) return;
            var claimed = RnnMetadata.ParseBool(key, text, source);
            if (claimed != actual) throw Bad(source, $"metadata {key}={RnnMetadata.Format(claimed)} contradicts the tensors, which give {key} {RnnMetadata.Format(actual)} ({evidence})");
        }
        Int(RnnMetadata.InputSize, inferred.InputSize, $"weight_ih_l0 has shape {ih}");
        Int(RnnMetadata.HiddenSize, inferred.HiddenSize, inferred.ProjSize > 0 ? "from weight_hr_l0" : $"weight_hh_l0 has shape {hh}");
        Int(RnnMetadata.NumLayers, inferred.NumLayers, $"the highest layer suffix is _l{inferred.NumLayers - 1}");
        Int(RnnMetadata.ProjSize, inferred.ProjSize, inferred.ProjSize > 0 ? "from weight_hr_l0" : "there is no weight_hr_l0");
        Bool(RnnMetadata.Bidirectional, inferred.Bidirectional, inferred.Bidirectional ? "there are _reverse tensors" : "there are no _reverse tensors");
        Bool(RnnMetadata.Bias, inferred.Bias, inferred.Bias ? "there is a bias_ih_l0" : "there is no bias_ih_l0");
        Bool(RnnMetadata.Peepholes, inferred.Peepholes, inferred.Peepholes ? "there is a weight_ci_l0" : "there is no weight_ci_l0");
        Bool(RnnMetadata.LayerNorm, inferred.LayerNorm, inferred.LayerNorm ? "there is a layer_norm_ih_weight_l0" : "there is no layer_norm_ih_weight_l0");
    }

    /// <summary>A number the tensors cannot show (zoneout, cell clip): the metadata's value, or 0 when absent.</summary>
    private static double Number(IReadOnlyDictionary<string, string> metadata, string key, string source) =>
        metadata.TryGetValue(key, out var text) ? RnnMetadata.ParseDouble(key, text, source) : 0;

    private static void CheckTensors(RnnSpec spec, Dictionary<string, Shape> actual, string source)
    {
        // A layer and direction has 2 to 9 tensors: a file far short of what its highest layer
        // suffix implies is refused before that list is built (weight_ih_l999999 alone).
        IReadOnlyList<KeyValuePair<string, Shape>> expected;
        try { expected = new ExpectedTensors(8L * actual.Count + 64, limit: "its tensor count allows").AddRnn("", spec).Tensors; }
        catch (ArgumentException e) { throw Bad(source, $"the tensors' names imply a {spec}, which the {actual.Count} tensors present cannot hold: {e.Message}"); }
        foreach (var (name, shape) in expected)
        {
            if (!actual.TryGetValue(name, out var found))
                throw Bad(source, $"tensor '{name}' is missing (expected shape {shape} for a {spec})");
            if (found != shape)
                throw Bad(source, $"tensor '{name}' has shape {found} but {shape} was expected for a {spec}");
        }
        if (actual.Count != expected.Count)
        {
            var known = expected.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
            var extra = actual.Keys.Where(n => !known.Contains(n)).Order(StringComparer.Ordinal).First();
            throw Bad(source, $"tensor '{extra}' {actual[extra]} does not belong to a {spec}");
        }
    }

    private static Shape Matrix(Dictionary<string, Shape> byName, string name, string layout, string source)
    {
        if (!byName.TryGetValue(name, out var shape))
        {
            var found = byName.Count == 0 ? "no recurrent-layer tensors" : string.Join(", ", byName.Keys.Order(StringComparer.Ordinal).Take(8));
            throw Bad(source, $"tensor '{name}' is missing; it is needed to tell the model's shape (found: {found})");
        }
        if (shape.Rank != 2) throw Bad(source, $"tensor '{name}' has shape {shape} but a matrix {layout} was expected");
        return shape;
    }

    private static bool SameFamily(RnnCellKind a, RnnCellKind b) => a.GateCount() == b.GateCount();

    private static string FamilyName(RnnCellKind cell) => cell switch
    {
        RnnCellKind.Lstm => "an lstm",
        RnnCellKind.Gru => "a gru",
        _ => "an rnn (rnn_tanh or rnn_relu)",
    };

    private static InvalidDataException Bad(string source, string problem) => new($"{source}: {problem}");
}
