using System.Text;
using System.Text.Json;

namespace GpuRnn;

/// <summary>
/// The characters a character-level model knows, one id per Unicode scalar value (a surrogate
/// pair is one character), sorted by code point so that the same text always gives the same ids.
/// </summary>
public sealed class Vocabulary
{
    private readonly string[] _symbols;
    private readonly Dictionary<int, int> _ids;

    /// <summary>Creates a vocabulary from distinct characters, given as one string each.</summary>
    /// <exception cref="ArgumentException">A symbol is not exactly one Unicode scalar value, or appears twice.</exception>
    public Vocabulary(IEnumerable<string> symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        var runes = new List<Rune>();
        foreach (var s in symbols)
        {
            if (s is null || Rune.DecodeFromUtf16(s, out var rune, out var used) != System.Buffers.OperationStatus.Done || used != s.Length)
                throw new ArgumentException($"vocabulary entry '{s}' is not exactly one character");
            runes.Add(rune);
        }
        runes.Sort();
        _symbols = new string[runes.Count];
        _ids = new Dictionary<int, int>(runes.Count);
        for (var i = 0; i < runes.Count; i++)
        {
            if (!_ids.TryAdd(runes[i].Value, i))
                throw new ArgumentException($"vocabulary has the character {Describe(runes[i])} twice");
            _symbols[i] = runes[i].ToString();
        }
        if (_symbols.Length == 0) throw new ArgumentException("a vocabulary needs at least one character");
    }

    /// <summary>Number of characters, V.</summary>
    public int Count => _symbols.Length;

    /// <summary>The characters in id order.</summary>
    public IReadOnlyList<string> Symbols => _symbols;

    /// <summary>The character with id <paramref name="id"/>.</summary>
    public string this[int id] => _symbols[id];

    /// <summary>The vocabulary of every character that occurs in <paramref name="text"/>.</summary>
    public static Vocabulary FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var seen = new HashSet<Rune>();
        foreach (var r in text.EnumerateRunes()) seen.Add(r);
        return new Vocabulary(seen.Select(r => r.ToString()));
    }

    /// <summary>Whether the character is in the vocabulary.</summary>
    public bool Contains(Rune character) => _ids.ContainsKey(character.Value);

    /// <summary>The id of a character, or -1.</summary>
    public int IdOf(Rune character) => _ids.TryGetValue(character.Value, out var id) ? id : -1;

    /// <summary>
    /// The ids of every character of <paramref name="text"/>.
    /// </summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="what">What the text is, for the message (e.g. "the prime text").</param>
    /// <exception cref="ArgumentException">A character is not in the vocabulary; the message names it and its position.</exception>
    public int[] Encode(string text, string what = "the text")
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length);
        var position = 0;
        foreach (var r in text.EnumerateRunes())
        {
            var id = IdOf(r);
            if (id < 0)
                throw new ArgumentException($"{what} has the character {Describe(r)} at position {position}, which is not in the model's vocabulary of {Count} characters");
            ids.Add(id);
            position++;
        }
        return [.. ids];
    }

    /// <summary>The text of a sequence of ids.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder(ids.Length);
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)_symbols.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is outside the vocabulary [0, {Count})");
            sb.Append(_symbols[id]);
        }
        return sb.ToString();
    }

    /// <summary>The characters as a JSON array of strings (how checkpoints store it).</summary>
    public string ToJson() => JsonSerializer.Serialize(_symbols);

    /// <summary>Reads <see cref="ToJson"/>'s form.</summary>
    /// <exception cref="InvalidDataException">Not a JSON array of single characters.</exception>
    public static Vocabulary FromJson(string json)
    {
        string[]? symbols;
        try { symbols = JsonSerializer.Deserialize<string[]>(json); }
        catch (JsonException e) { throw new InvalidDataException($"the vocabulary is not a JSON array of strings: {e.Message}"); }
        if (symbols is null) throw new InvalidDataException("the vocabulary is null");
        try { return new Vocabulary(symbols); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message); }
    }

    /// <summary>Whether both hold the same characters.</summary>
    public bool SameAs(Vocabulary other) => other is not null && _symbols.AsSpan().SequenceEqual(other._symbols);

    /// <summary>A character as users can read it in a message: <c>'x' (U+0078)</c>.</summary>
    public static string Describe(Rune r)
    {
        var shown = Rune.IsControl(r) || Rune.IsWhiteSpace(r) ? "" : $"'{r}' ";
        return $"{shown}(U+{r.Value:X4})";
    }
}
