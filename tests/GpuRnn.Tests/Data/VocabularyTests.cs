using System.Text;
using System.Text.Json;
using Xunit;

namespace GpuRnn.Tests.Data;

/// <summary>
/// One <see cref="Vocabulary"/> for characters and tokens: a task's order is kept through JSON, a
/// character model's stored list is read in code-point order, and a text is read character by
/// character with the same ids as its tokens.
/// </summary>
public class VocabularyTests
{
    [Fact]
    public void TokensKeepTheirOrderThroughJsonAndCharactersReadATextWithTheSameIds()
    {
        var rng = TestRandom.Create();
        var characters = "zyxabc\n🙂λ".EnumerateRunes().Select(r => r.ToString()).OrderBy(_ => rng.Next()).ToList();
        var words = Enumerable.Range(0, rng.Next(3, 8)).Select(i => $"w{i}{(char)('a' + rng.Next(26))}").ToList();
        var tokens = characters.Concat(words).Append(Vocabulary.Unknown).OrderBy(_ => rng.Next()).ToArray();
        var vocabulary = Vocabulary.FromJson(JsonSerializer.Serialize(tokens));

        Assert.Equal(tokens, vocabulary.Tokens);
        for (var i = 0; i < tokens.Length; i++) Assert.Equal(i, vocabulary.EncodeToken(tokens[i], "x"));
        Assert.Equal(Array.IndexOf(tokens, Vocabulary.Unknown), vocabulary.EncodeToken("never-seen", "x"));
        var text = string.Concat(Enumerable.Range(0, 40).Select(_ => characters[rng.Next(characters.Count)]));
        var expected = text.EnumerateRunes().Select(r => Array.IndexOf(tokens, r.ToString())).ToArray();
        Assert.Equal(expected, vocabulary.Encode(text, "the text"));
        Assert.Equal(text, vocabulary.Decode(expected));
    }

    [Fact]
    public void ACharacterModelsStoredListIsReadInCodePointOrder()
    {
        var rng = TestRandom.Create();
        var runes = "q7 \t😀éA".EnumerateRunes().ToList();
        var stored = runes.Select(r => r.ToString()).OrderBy(_ => rng.Next()).ToArray();
        var vocabulary = Vocabulary.CharactersFromJson(JsonSerializer.Serialize(stored));
        Assert.Equal(runes.OrderBy(r => r.Value).Select(r => r.ToString()), vocabulary.Tokens);
        Assert.True(vocabulary.SameAs(Vocabulary.FromText(string.Concat(stored))));

        var error = Assert.Throws<InvalidDataException>(() => Vocabulary.CharactersFromJson(JsonSerializer.Serialize(new[] { "a", "bc" })));
        Assert.Contains("vocabulary entry 'bc' is not exactly one character", error.Message);
        error = Assert.Throws<InvalidDataException>(() => Vocabulary.CharactersFromJson(JsonSerializer.Serialize(new[] { "a", "b", "a" })));
        Assert.Contains("vocabulary has the character 'a' (U+0061) twice", error.Message);
        Assert.Throws<InvalidDataException>(() => Vocabulary.FromJson(JsonSerializer.Serialize(new[] { "a", "a" })));
        Assert.Equal(-1, vocabulary.IdOf(new Rune('z')));
    }
}
