using System.Text;

namespace GpuRnn.Data;

/// <summary>How a text is cut into tokens.</summary>
public enum Tokenization
{
    /// <summary>Every Unicode character (scalar value) is a token; tokens join with nothing.</summary>
    Char,

    /// <summary>Lower-cased runs of letters and digits, and every other non-space character on its own; tokens join with spaces.</summary>
    Word,

    /// <summary>Tokens are given, separated by white space, kept exactly (CoNLL files, symbol sequences); tokens join with spaces.</summary>
    Whitespace,
}

/// <summary>Splits texts into tokens and joins them back.</summary>
public static class Tokenizer
{
    /// <summary>The command-line name: <c>char</c>, <c>word</c> or <c>space</c>.</summary>
    public static string ToName(this Tokenization tokenization) => Names.Name(tokenization);

    /// <summary>Parses a name of <see cref="ToName"/>.</summary>
    public static Tokenization Parse(string name) => Names.Parse(name);

    private static readonly NameTable<Tokenization> Names = new NameTable<Tokenization>("tokenization", otherwise: Tokenization.Whitespace)
        .Add(Tokenization.Char, "char")
        .Add(Tokenization.Word, "word")
        .Add(Tokenization.Whitespace, "space", "whitespace");

    /// <summary>The tokens of <paramref name="text"/>.</summary>
    public static string[] Split(string text, Tokenization tokenization)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (tokenization)
        {
            case Tokenization.Char:
                return text.EnumerateRunes().Select(r => r.ToString()).ToArray();
            case Tokenization.Whitespace:
                return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            default:
                var tokens = new List<string>();
                var word = new StringBuilder();
                foreach (var r in text.EnumerateRunes())
                {
                    if (Rune.IsLetterOrDigit(r))
                    {
                        word.Append(Rune.ToLowerInvariant(r).ToString());
                        continue;
                    }
                    if (word.Length > 0) tokens.Add(word.ToString());
                    word.Clear();
                    if (!Rune.IsWhiteSpace(r)) tokens.Add(r.ToString());
                }
                if (word.Length > 0) tokens.Add(word.ToString());
                return [.. tokens];
        }
    }

    /// <summary>The text of <paramref name="tokens"/>: concatenated for characters, else separated by spaces.</summary>
    public static string Join(IEnumerable<string> tokens, Tokenization tokenization) =>
        string.Join(tokenization == Tokenization.Char ? "" : " ", tokens);
}
