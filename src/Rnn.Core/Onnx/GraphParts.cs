namespace GpuRnn.Onnx;

/// <summary>Pieces the per-model graph builders share: checked weights from a state dict, and sub-dicts by prefix.</summary>
internal static class GraphParts
{
    /// <summary>The tensor <paramref name="name"/> as a float32 initializer of that name, checked to have <paramref name="dims"/>.</summary>
    public static string Weight(OnnxGraph g, IReadOnlyDictionary<string, HostTensor> sd, string name, params int[] dims)
    {
        var shape = new Shape(dims);
        if (!sd.TryGetValue(name, out var t)) throw new ArgumentException($"tensor '{name}' is missing (expected shape {shape})");
        if (t.Shape != shape) throw new ArgumentException($"tensor '{name}' has shape {t.Shape} but {shape} was expected");
        return g.Initializer(name, t.ToFloat64Array().Select(v => (float)v).ToArray(), dims.Select(d => (long)d).ToArray());
    }

    /// <summary>The tensors whose names start with <paramref name="prefix"/>, with the prefix removed (the recurrent stack's own names).</summary>
    public static IReadOnlyDictionary<string, HostTensor> Under(IReadOnlyDictionary<string, HostTensor> sd, string prefix) =>
        sd.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}
