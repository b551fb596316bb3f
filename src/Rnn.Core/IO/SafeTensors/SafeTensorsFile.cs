namespace GpuRnn.IO;

/// <summary>
/// The contents of a safetensors file in host memory: named tensors in file order and the
/// <c>__metadata__</c> strings. Made by <see cref="SafeTensors.Read(string)"/>.
/// </summary>
public sealed class SafeTensorsFile
{
    private readonly OrderedDictionary<string, HostTensor> _tensors;
    private readonly Dictionary<string, string> _storedDTypes;

    internal SafeTensorsFile(string source, OrderedDictionary<string, HostTensor> tensors,
        Dictionary<string, string> storedDTypes, IReadOnlyDictionary<string, string> metadata)
    {
        Source = source;
        _tensors = tensors;
        _storedDTypes = storedDTypes;
        Metadata = metadata;
    }

    /// <summary>Where the tensors were read from (a path), used in messages.</summary>
    public string Source { get; }

    /// <summary>The tensors by name, in the order of their data in the file.</summary>
    public IReadOnlyDictionary<string, HostTensor> Tensors => _tensors;

    /// <summary>The names in the order of their data in the file.</summary>
    public IEnumerable<string> Names => _tensors.Keys;

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>; throws <see cref="InvalidDataException"/> listing the names present if absent.</summary>
    public HostTensor this[string name] => _tensors.TryGetValue(name, out var t)
        ? t
        : throw new InvalidDataException($"{Source}: has no tensor '{name}' (it holds {DescribeNames()})");

    /// <summary>Whether the file has a tensor of that name.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The dtype string the tensor had in the file (<c>F32</c>, <c>F64</c>, <c>I32</c> or <c>I64</c>).</summary>
    public string StoredDType(string name) => _storedDTypes[name];

    /// <summary>The names present, for messages: <c>'x', 'h0'</c>, or <c>no tensors</c>.</summary>
    public string DescribeNames()
    {
        if (_tensors.Count == 0) return "no tensors";
        const int shown = 12;
        var names = string.Join(", ", _tensors.Keys.Take(shown).Select(n => $"'{n}'"));
        return _tensors.Count > shown ? $"{names} and {_tensors.Count - shown} more" : names;
    }
}
