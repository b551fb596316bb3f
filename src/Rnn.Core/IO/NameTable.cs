namespace GpuRnn.IO;

/// <summary>
/// How the command line and the files spell the values of an enum: each value's name, and any
/// other spellings accepted when reading, whatever the case and surrounding white space. A name it
/// does not know is refused listing the names (<c>unknown cell 'x' (expected lstm, gru, rnn_tanh or rnn_relu)</c>).
/// </summary>
/// <param name="what">What the values are, for the message: <c>cell</c>, <c>schedule</c>.</param>
/// <param name="otherwise">The value whose name a value not in the table gets (a cast beyond the enum's values); null refuses one.</param>
internal sealed class NameTable<T>(string what, T? otherwise = null) where T : struct, Enum
{
    private readonly List<string> _names = [];
    private readonly Dictionary<string, T> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<T, string> _nameOf = [];

    /// <summary>Adds <paramref name="value"/> under <paramref name="name"/> (listed in the message) and <paramref name="aliases"/> (not listed).</summary>
    public NameTable<T> Add(T value, string name, params string[] aliases)
    {
        _names.Add(name);
        _nameOf.Add(value, name);
        _values.Add(name, value);
        foreach (var alias in aliases) _values.Add(alias, value);
        return this;
    }

    /// <summary>The name of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in the table and there is no <c>otherwise</c>.</exception>
    public string Name(T value) =>
        _nameOf.TryGetValue(value, out var name) ? name
        : otherwise is { } fallback ? _nameOf[fallback]
        : throw new ArgumentOutOfRangeException(nameof(value), value, $"no {what} has this value");

    /// <summary>The value named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No value has that name.</exception>
    public T Parse(string name) =>
        _values.TryGetValue(name.Trim().ToLowerInvariant(), out var value) ? value : throw new ArgumentException($"unknown {what} '{name}' (expected {Expected()})");

    private string Expected() => _names.Count == 1 ? _names[0] : $"{string.Join(", ", _names.Take(_names.Count - 1))} or {_names[^1]}";
}
