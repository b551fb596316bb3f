using System.Globalization;

namespace GpuRnn.IO;

/// <summary>
/// Reading a checkpoint's metadata strings, shared by <see cref="Checkpoint"/>'s readers of both
/// formats: every failure names the file and the key.
/// </summary>
internal static class CheckpointMetadata
{
    public static string Required(IReadOnlyDictionary<string, string> meta, string key, string path) =>
        meta.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: the checkpoint's metadata has no '{key}'");

    public static long Integer(IReadOnlyDictionary<string, string> meta, string key, string path)
    {
        var text = Required(meta, key, path);
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"{path}: metadata '{key}' is '{text}', not a non-negative integer");
    }

    public static ulong Unsigned(IReadOnlyDictionary<string, string> meta, string key, string path)
    {
        var text = Required(meta, key, path);
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"{path}: metadata '{key}' is '{text}', not a non-negative integer");
    }

    public static T Parse<T>(string path, Func<T> parse)
    {
        try { return parse(); }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
    }

    /// <summary>
    /// Checks in the header that each optimizer state tensor <c>{prefix}{parameter}.{buffer}</c> has
    /// the shape of its parameter, which is in the file too.
    /// </summary>
    public static void CheckOptimizerState(SafeTensorsHeader header, string path, string prefix)
    {
        var shapes = header.Tensors.ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);
        foreach (var t in header.Tensors)
        {
            if (!t.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var dot = t.Name.LastIndexOf('.');
            var parameter = dot > prefix.Length ? t.Name[prefix.Length..dot] : "";
            if (!shapes.TryGetValue(parameter, out var shape) || parameter.StartsWith(prefix, StringComparison.Ordinal))
                throw new InvalidDataException($"{path}: optimizer state '{t.Name}' {t.Shape} belongs to no parameter of the file (expected '{prefix}<parameter>.<buffer>')");
            if (shape != t.Shape)
                throw new InvalidDataException($"{path}: optimizer state '{t.Name}' has shape {t.Shape} but its parameter '{parameter}' has shape {shape}");
        }
    }
}
