using System.Text.Json;
using System.Text.Json.Nodes;

namespace GpuRnn.IO;

/// <summary>
/// Reading the JSON objects a checkpoint's metadata holds (task and model specs, optimizer,
/// schedule, training options): every failure is an <see cref="InvalidDataException"/> that names
/// what was read (<c>the task spec has no 'cell'</c>, <c>the schedule is invalid: ...</c>).
/// </summary>
internal sealed class JsonFields
{
    private readonly JsonObject _object;
    private readonly string _subject;
    private readonly bool _plural;

    private JsonFields(JsonObject o, string subject, bool plural) => (_object, _subject, _plural) = (o, subject, plural);

    /// <summary>
    /// Parses <paramref name="json"/> as an object and makes a value of it with <paramref name="build"/>;
    /// a malformed object, a field of the wrong type or a value <paramref name="build"/> refuses
    /// (<see cref="ArgumentException"/>, <see cref="FormatException"/>) is reported as <paramref name="subject"/> being invalid.
    /// </summary>
    /// <param name="json">The text.</param>
    /// <param name="subject">What it is, for messages: <c>the task spec</c>.</param>
    /// <param name="build">Reads the fields.</param>
    /// <param name="plural">Whether <paramref name="subject"/> takes a plural verb (<c>the training options are</c>).</param>
    public static T Read<T>(string json, string subject, Func<JsonFields, T> build, bool plural = false)
    {
        var (be, have) = plural ? ("are", "have") : ("is", "has");
        try
        {
            var o = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{subject} {be} not a JSON object");
            return build(new JsonFields(o, subject, plural));
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{subject} {be} invalid: {e.Message}");
        }
    }

    /// <summary>The field <paramref name="key"/>, which must be there.</summary>
    public T Get<T>(string key) =>
        _object[key] is { } node ? node.GetValue<T>() : throw new InvalidDataException($"{_subject} {(_plural ? "have" : "has")} no '{key}'");

    /// <summary>The field <paramref name="key"/>, or <paramref name="absent"/> when it is not there.</summary>
    public T Optional<T>(string key, T absent) => _object[key] is { } node ? node.GetValue<T>() : absent;

    /// <summary>The field <paramref name="key"/> as it is, or null.</summary>
    public JsonNode? this[string key] => _object[key];

    /// <summary>
    /// Adds the cell options of a spec, each only when set, so that a model without them keeps the
    /// form older versions read.
    /// </summary>
    public static void AddCellOptions(JsonObject o, bool layerNorm, double zoneout, double zoneoutCell, double cellClip)
    {
        if (layerNorm) o["layer_norm"] = true;
        if (zoneout > 0) o["zoneout"] = zoneout;
        if (zoneoutCell > 0) o["zoneout_cell"] = zoneoutCell;
        if (cellClip > 0) o["cell_clip"] = cellClip;
    }
}
