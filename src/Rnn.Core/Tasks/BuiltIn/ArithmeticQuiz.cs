using System.Text;

namespace GpuRnn.Tasks.BuiltIn;

/// <summary>One question of <see cref="ArithmeticQuiz"/>.</summary>
/// <param name="Question">The statement up to and including '=', e.g. <c>17+25=</c>.</param>
/// <param name="Answer">What the model wrote after it (greedy, up to the newline).</param>
/// <param name="Correct">Whether the completed statement is true.</param>
public sealed record QuizItem(string Question, string Answer, bool Correct);

/// <summary>
/// How much arithmetic a model trained on the built-in corpus has learned: it completes freshly
/// generated statements such as <c>17+25=</c> greedily (most probable character each time) and
/// the completed statements are checked.
/// </summary>
public static class ArithmeticQuiz
{
    /// <summary>Asks <paramref name="questions"/> statements generated from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">The vocabulary lacks the corpus's characters (the model was not trained on it).</exception>
    public static IReadOnlyList<QuizItem> Run(CharRnnModel model, Vocabulary vocabulary, int questions, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var newline = vocabulary.IdOf(new Rune('\n'));
        var items = new List<QuizItem>(questions);
        foreach (var line in ArithmeticCorpus.Generate(seed, questions).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var question = line[..(line.IndexOf('=') + 1)];
            // The statement follows a newline, as every statement of the corpus does.
            var ids = Sampler.Greedy(model, vocabulary.Encode("\n" + question, "the quiz"), 6, newline);
            var answer = vocabulary.Decode(ids).TrimEnd('\n');
            items.Add(new QuizItem(question, answer, ArithmeticCorpus.IsCorrect(question + answer)));
        }
        return items;
    }

    /// <summary>Whether the vocabulary has every character the corpus uses (digits, + - = and newline).</summary>
    public static bool Fits(Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        foreach (var c in "0123456789+-=\n") if (!vocabulary.Contains(new Rune(c))) return false;
        return true;
    }
}
