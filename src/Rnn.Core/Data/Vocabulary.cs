using System.Text;
using System.Text.Json;

namespace GpuRnn.Data;

/// <summary>
/// The tokens a model knows, one id each: the characters of a character model (one Unicode scalar
/// value each, a surrogate pair being one character, in code-point order: <see cref="OfCharacters"/>,
/// <see cref="FromText"/>), or the tokens of one side of a task (input words or characters, labels,
/// tags, target tokens). Ids are fixed by the list: for a task, special tokens first (such as
/// <see cref="Unknown"/> and <see cref="End"/>), then the rest in the order given (<see cref="Build"/>
/// orders them by falling frequency, so that frequency classes of a class-based softmax are id ranges).
/// Checkpoints store either kind as a JSON array of strings in id order.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>The token that stands for every token not in the vocabulary.</summary>
    public const string Unknown = "<unk>";

    /// <summary>The end-of-sequence token of a decoder (which also starts it).</summary>
    public const string End = "</s>";

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    // The ids of the tokens that are one character, by code point: a text is encoded rune by rune
    // without a string per character.
    private readonly Dictionary<int, int> _characterIds = [];

    /// <summary>Creates a vocabulary of distinct tokens in id order.</summary>
    /// <exception cref="ArgumentException">The list is empty, or a token is empty or appears twice.</exception>
    public Vocabulary(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = tokens.ToArray();
        if (_tokens.Length == 0) throw new ArgumentException("a vocabulary needs at least one token");
        _ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < _tokens.Length; i++)
        {
            if (string.IsNullOrEmpty(_tokens[i])) throw new ArgumentException($"vocabulary entry {i} is empty");
            if (!_ids.TryAdd(_tokens[i], i)) throw new ArgumentException($"vocabulary has the token '{_tokens[i]}' twice");
            if (Rune.DecodeFromUtf16(_tokens[i], out var rune, out var used) == System.Buffers.OperationStatus.Done && used == _tokens[i].Length)
                _characterIds[rune.Value] = i;
        }
        UnknownId = IdOf(Unknown);
    }

    /// <summary>A character vocabulary of distinct characters, given as one string each, with ids in code-point order.</summary>
    /// <exception cref="ArgumentException">A symbol is not exactly one Unicode scalar value, or appears twice, or there is none.</exception>
    public static Vocabulary OfCharacters(IEnumerable<string> characters)
    {
        ArgumentNullException.ThrowIfNull(characters);
        var runes = new List<Rune>();
        foreach (var s in characters)
        {
            if (s is null || Rune.DecodeFromUtf16(s, out var rune, out var used) != System.Buffers.OperationStatus.Done || used != s.Length)
                throw new ArgumentException($"vocabulary entry '{s}' is not exactly one character");
            runes.Add(rune);
        }
        if (runes.Count == 0) throw new ArgumentException("a vocabulary needs at least one character");
        runes.Sort();
        for (var i = 1; i < runes.Count; i++)
        {
            if (runes[i] == runes[i - 1]) throw new ArgumentException($"vocabulary has the character {Describe(runes[i])} twice");
        }
        return new Vocabulary(runes.Select(r => r.ToString()));
    }

    /// <summary>The character vocabulary of every character that occurs in <paramref name="text"/>.</summary>
    public static Vocabulary FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var seen = new HashSet<Rune>();
        foreach (var r in text.EnumerateRunes()) seen.Add(r);
        return OfCharacters(seen.Select(r => r.ToString()));
    }

    /// <summary>
    /// The vocabulary of <paramref name="tokens"/> (every token of a data set, repeats included):
    /// <paramref name="specials"/> first, then every token seen at least <paramref name="minCount"/>
    /// times by falling count, ties in ordinal order. Tokens seen less often are left to
    /// <see cref="Unknown"/> when it is among the specials.
    /// </summary>
    public static Vocabulary Build(IEnumerable<string> tokens, int minCount = 1, params string[] specials)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (minCount < 1) throw new ArgumentException($"the minimum count must be at least 1, got {minCount}");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var t in tokens) counts[t] = counts.GetValueOrDefault(t) + 1;
        var kept = counts.Where(kv => kv.Value >= minCount && !specials.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key);
        return new Vocabulary(specials.Concat(kept));
    }

    /// <summary>Number of tokens, V.</summary>
    public int Count => _tokens.Length;

    /// <summary>The tokens in id order.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The id of <see cref="Unknown"/>, or -1 when unknown tokens are refused.</summary>
    public int UnknownId { get; }

    /// <summary>The token with id <paramref name="id"/>.</summary>
    public string this[int id] => _tokens[id];

    /// <summary>The id of a token, or -1.</summary>
    public int IdOf(string token) => _ids.TryGetValue(token, out var id) ? id : -1;

    /// <summary>Whether the character is one of the tokens.</summary>
    public bool Contains(Rune character) => _characterIds.ContainsKey(character.Value);

    /// <summary>The id of a character, or -1.</summary>
    public int IdOf(Rune character) => _characterIds.TryGetValue(character.Value, out var id) ? id : -1;

    /// <summary>The id of a token, <see cref="UnknownId"/> for one not in the vocabulary.</summary>
    /// <param name="token">The token.</param>
    /// <param name="where">Where it was read, for the message (e.g. <c>data file 'a.tsv', line 3</c>).</param>
    /// <exception cref="InvalidDataException">The token is not in a vocabulary without <see cref="Unknown"/>.</exception>
    public int EncodeToken(string token, string where)
    {
        var id = IdOf(token);
        if (id >= 0) return id;
        if (UnknownId >= 0) return UnknownId;
        throw new InvalidDataException($"{where}: '{token}' is not one of the model's {Count} {(Count <= 12 ? $"({string.Join(", ", _tokens)})" : "known values")}");
    }

    /// <summary>The ids of <paramref name="tokens"/> (see <see cref="EncodeToken"/>).</summary>
    public int[] Encode(IReadOnlyList<string> tokens, string where)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = new int[tokens.Count];
        for (var i = 0; i < ids.Length; i++) ids[i] = EncodeToken(tokens[i], where);
        return ids;
    }

    /// <summary>The ids of every character of <paramref name="text"/>, one token per character (a character model's reading).</summary>
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

    /// <summary>The tokens of a sequence of ids, concatenated (a character model's text).</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder(ids.Length);
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)_tokens.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is outside the vocabulary [0, {Count})");
            sb.Append(_tokens[id]);
        }
        return sb.ToString();
    }

    /// <summary>The text of token ids, joined as <paramref name="tokenization"/> cuts a text.</summary>
    public string Text(IEnumerable<int> ids, Tokenization tokenization)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Tokenizer.Join(ids.Select(id => this[id]), tokenization);
    }

    /// <summary>The tokens as a JSON array of strings in id order (how checkpoints store it).</summary>
    public string ToJson() => JsonSerializer.Serialize(_tokens);

    /// <summary>Reads <see cref="ToJson"/>'s form, ids in the order of the array.</summary>
    /// <exception cref="InvalidDataException">Not a JSON array of distinct non-empty strings.</exception>
    public static Vocabulary FromJson(string json) => Parse(json, "a vocabulary", tokens => new Vocabulary(tokens));

    /// <summary>
    /// Reads a character vocabulary as the character-model checkpoints of earlier versions store it
    /// (<c>gpurnn.char_model</c>): single characters whose ids are in code-point order whatever the array's order.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a JSON array of distinct single characters.</exception>
    public static Vocabulary CharactersFromJson(string json) => Parse(json, "the vocabulary", OfCharacters);

    private static Vocabulary Parse(string json, string what, Func<string[], Vocabulary> create)
    {
        string[]? tokens;
        try { tokens = JsonSerializer.Deserialize<string[]>(json); }
        catch (JsonException e) { throw new InvalidDataException($"{what} is not a JSON array of strings: {e.Message}"); }
        if (tokens is null) throw new InvalidDataException($"{what} is null");
        try { return create(tokens); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message); }
    }

    /// <summary>Whether both hold the same tokens in the same order.</summary>
    public bool SameAs(Vocabulary? other) => other is not null && _tokens.AsSpan().SequenceEqual(other._tokens);

    /// <summary>A character as users can read it in a message: <c>'x' (U+0078)</c>.</summary>
    public static string Describe(Rune r)
    {
        var shown = Rune.IsControl(r) || Rune.IsWhiteSpace(r) ? "" : $"'{r}' ";
        return $"{shown}(U+{r.Value:X4})";
    }
}
