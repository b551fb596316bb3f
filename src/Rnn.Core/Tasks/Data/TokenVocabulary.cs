using System.Text.Json;

namespace GpuRnn;

/// <summary>
/// The tokens of one side of a task (input words or characters, labels, tags, target tokens),
/// one id each. Ids are fixed by the list: special tokens first (such as <see cref="Unknown"/> and
/// <see cref="End"/>), then the rest in the order given (<see cref="Build"/> orders them by
/// falling frequency, so that frequency classes of a class-based softmax are id ranges).
/// </summary>
public sealed class TokenVocabulary
{
    /// <summary>The token that stands for every token not in the vocabulary.</summary>
    public const string Unknown = "<unk>";

    /// <summary>The end-of-sequence token of a decoder (which also starts it).</summary>
    public const string End = "</s>";

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    /// <summary>Creates a vocabulary of distinct tokens in id order.</summary>
    /// <exception cref="ArgumentException">The list is empty, or a token is empty or appears twice.</exception>
    public TokenVocabulary(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = tokens.ToArray();
        if (_tokens.Length == 0) throw new ArgumentException("a vocabulary needs at least one token");
        _ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < _tokens.Length; i++)
        {
            if (string.IsNullOrEmpty(_tokens[i])) throw new ArgumentException($"vocabulary entry {i} is empty");
            if (!_ids.TryAdd(_tokens[i], i)) throw new ArgumentException($"vocabulary has the token '{_tokens[i]}' twice");
        }
        UnknownId = IdOf(Unknown);
    }

    /// <summary>
    /// The vocabulary of <paramref name="tokens"/> (every token of a data set, repeats included):
    /// <paramref name="specials"/> first, then every token seen at least <paramref name="minCount"/>
    /// times by falling count, ties in ordinal order. Tokens seen less often are left to
    /// <see cref="Unknown"/> when it is among the specials.
    /// </summary>
    public static TokenVocabulary Build(IEnumerable<string> tokens, int minCount = 1, params string[] specials)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (minCount < 1) throw new ArgumentException($"the minimum count must be at least 1, got {minCount}");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var t in tokens) counts[t] = counts.GetValueOrDefault(t) + 1;
        var kept = counts.Where(kv => kv.Value >= minCount && !specials.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key);
        return new TokenVocabulary(specials.Concat(kept));
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

    /// <summary>The id of a token, <see cref="UnknownId"/> for one not in the vocabulary.</summary>
    /// <param name="token">The token.</param>
    /// <param name="where">Where it was read, for the message (e.g. <c>data file 'a.tsv', line 3</c>).</param>
    /// <exception cref="InvalidDataException">The token is not in a vocabulary without <see cref="Unknown"/>.</exception>
    public int Encode(string token, string where)
    {
        var id = IdOf(token);
        if (id >= 0) return id;
        if (UnknownId >= 0) return UnknownId;
        throw new InvalidDataException($"{where}: '{token}' is not one of the model's {Count} {(Count <= 12 ? $"({string.Join(", ", _tokens)})" : "known values")}");
    }

    /// <summary>The ids of <paramref name="tokens"/> (see <see cref="Encode(string, string)"/>).</summary>
    public int[] Encode(IReadOnlyList<string> tokens, string where)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = new int[tokens.Count];
        for (var i = 0; i < ids.Length; i++) ids[i] = Encode(tokens[i], where);
        return ids;
    }

    /// <summary>The tokens as a JSON array of strings (how checkpoints store it).</summary>
    public string ToJson() => JsonSerializer.Serialize(_tokens);

    /// <summary>Reads <see cref="ToJson"/>'s form.</summary>
    /// <exception cref="InvalidDataException">Not a JSON array of distinct non-empty strings.</exception>
    public static TokenVocabulary FromJson(string json)
    {
        string[]? tokens;
        try { tokens = JsonSerializer.Deserialize<string[]>(json); }
        catch (JsonException e) { throw new InvalidDataException($"a vocabulary is not a JSON array of strings: {e.Message}"); }
        if (tokens is null) throw new InvalidDataException("a vocabulary is null");
        try { return new TokenVocabulary(tokens); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message); }
    }

    /// <summary>Whether both hold the same tokens in the same order.</summary>
    public bool SameAs(TokenVocabulary? other) => other is not null && _tokens.AsSpan().SequenceEqual(other._tokens);
}
