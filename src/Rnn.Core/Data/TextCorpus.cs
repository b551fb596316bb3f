using System.Text;

namespace GpuRnn.Data;

/// <summary>
/// A character corpus split for training: the first 90% of the text trains, the last 10%
/// validates (by character, so no text is shared). The vocabulary covers the whole text.
/// </summary>
public sealed class TextCorpus
{
    /// <summary>Share of the characters that go to training.</summary>
    public const double TrainFraction = 0.9;

    private TextCorpus(string name, string text, Vocabulary vocabulary, int[] train, int[] validation)
    {
        Name = name;
        Text = text;
        Vocabulary = vocabulary;
        Train = train;
        Validation = validation;
    }

    /// <summary>Where the text came from (a path or a generator's name), for messages and logs.</summary>
    public string Name { get; }

    /// <summary>The whole text.</summary>
    public string Text { get; }

    /// <summary>Every character of the text.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Ids of the first 90% of the characters.</summary>
    public int[] Train { get; }

    /// <summary>Ids of the last 10% of the characters.</summary>
    public int[] Validation { get; }

    /// <summary>
    /// Splits a text; with <paramref name="vocabulary"/> (a resumed model's) every character must be in it,
    /// otherwise the text's own characters make the vocabulary.
    /// </summary>
    /// <exception cref="InvalidDataException">The text is empty, too short to split, or has characters outside <paramref name="vocabulary"/>.</exception>
    public static TextCorpus FromText(string text, string name, Vocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new InvalidDataException($"{name} is empty (expected UTF-8 text)");
        vocabulary ??= Vocabulary.FromText(text);
        int[] ids;
        try { ids = vocabulary.Encode(text, name); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message); }
        if (ids.Length < 20)
            throw new InvalidDataException($"{name} has {ids.Length} characters; at least 20 are needed to split it into training and validation text");
        var split = (int)(ids.Length * TrainFraction);
        return new TextCorpus(name, text, vocabulary, ids[..split], ids[split..]);
    }

    /// <summary>
    /// Reads a UTF-8 text file (a byte-order mark is allowed) and splits it.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, is not UTF-8 text (invalid bytes or NUL bytes), or is too short.</exception>
    public static TextCorpus Load(string path, Vocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromText(ReadText(path), $"data file '{path}'", vocabulary);
    }

    /// <summary>Reads a whole UTF-8 text file, refusing what is not text.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is a folder or not a regular file (a FIFO, a device), empty, or not UTF-8 text (invalid bytes or NUL bytes).</exception>
    public static string ReadText(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new InvalidDataException($"data file '{path}' is a directory (expected a UTF-8 text file)");
        if (!File.Exists(path)) throw new FileNotFoundException($"data file '{path}' does not exist", path);
        var bytes = InputFile.ReadAllBytes(path, $"data file '{path}'", "a UTF-8 text file");
        if (bytes.Length == 0) throw new InvalidDataException($"data file '{path}' is empty (expected UTF-8 text)");
        return DecodeUtf8(bytes, path);
    }

    /// <summary>Strict UTF-8 decoding that names the first bad byte; NUL bytes mark a binary file.</summary>
    private static string DecodeUtf8(byte[] bytes, string path)
    {
        var nul = Array.IndexOf(bytes, (byte)0);
        if (nul >= 0)
            throw new InvalidDataException($"data file '{path}' is binary (a NUL byte at offset {nul}); expected UTF-8 text");
        var start = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            var offset = e.Index >= 0 ? $" at offset {start + e.Index}" : "";
            throw new InvalidDataException($"data file '{path}' is not UTF-8 text (an invalid byte{offset})");
        }
    }
}
