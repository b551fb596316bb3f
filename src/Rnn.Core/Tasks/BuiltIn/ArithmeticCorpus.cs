using System.Text;

namespace GpuRnn.Tasks.BuiltIn;

/// <summary>
/// The built-in corpus: arithmetic statements such as <c>17+25=42</c> and <c>63-8=55</c>, one per
/// line, generated from a seed by the project itself (nothing is downloaded or copied). The text
/// has structure a model must learn: the format of a statement is easy, the answer is only right
/// if the model has learned to add and subtract the operands it has read.
/// </summary>
public static class ArithmeticCorpus
{
    /// <summary>The name shown for the corpus in logs and checkpoints.</summary>
    public const string Name = "built-in arithmetic corpus";

    /// <summary>Statements in the default corpus.</summary>
    public const int DefaultStatements = 40_000;

    /// <summary>Operands are below this bound.</summary>
    public const int OperandLimit = 100;

    /// <summary>Generates <paramref name="statements"/> lines from <paramref name="seed"/>; the same arguments give the same text.</summary>
    public static string Generate(ulong seed = 0, int statements = DefaultStatements)
    {
        if (statements <= 0) throw new ArgumentOutOfRangeException(nameof(statements), $"statements must be positive, got {statements}");
        var sb = new StringBuilder(statements * 9);
        ulong counter = 0;
        var stream = CounterRng.Hash(seed, 0xA417);
        int Draw(int bound) => (int)(CounterRng.Hash(stream, counter++) % (ulong)bound);
        // An operand has one or two digits with equal chance, so short sums are as common as long ones.
        int Operand() => Draw(2) == 0 ? Draw(10) : Draw(OperandLimit);
        for (var i = 0; i < statements; i++)
        {
            int a = Operand(), b = Operand();
            if (Draw(2) == 0) sb.Append(a).Append('+').Append(b).Append('=').Append(a + b);
            else
            {
                if (a < b) (a, b) = (b, a);
                sb.Append(a).Append('-').Append(b).Append('=').Append(a - b);
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// The entropy of the generator in bits per character: the information in the random choices
    /// (operator and operands) divided by the mean statement length. No model can predict the text
    /// better on average; one that knows arithmetic predicts every other character for certain.
    /// </summary>
    public static double EntropyBitsPerCharacter()
    {
        var p = new double[OperandLimit];
        for (var x = 0; x < OperandLimit; x++) p[x] = 0.5 * (x < 10 ? 0.1 : 0) + 0.5 / OperandLimit;
        double additionBits = 0, additionLength = 0, subtractionLength = 0;
        var ordered = new Dictionary<(int, int), double>();
        for (var a = 0; a < OperandLimit; a++)
            for (var b = 0; b < OperandLimit; b++)
            {
                var w = p[a] * p[b];
                additionBits -= w * Math.Log2(w);
                additionLength += w * Length(a, b, a + b);
                var key = (Math.Max(a, b), Math.Min(a, b));
                ordered[key] = ordered.GetValueOrDefault(key) + w;
                subtractionLength += w * Length(key.Item1, key.Item2, key.Item1 - key.Item2);
            }
        var subtractionBits = 0.0;
        foreach (var w in ordered.Values) subtractionBits -= w * Math.Log2(w);
        // One bit for the operator, then the operands of either kind with equal chance.
        return (1 + 0.5 * additionBits + 0.5 * subtractionBits) / (0.5 * additionLength + 0.5 * subtractionLength);

        static int Length(int a, int b, int c) => Digits(a) + Digits(b) + Digits(c) + 3; // operator, '=', newline
        static int Digits(int v) => v < 10 ? 1 : v < 100 ? 2 : 3;
    }

    /// <summary>The built-in corpus, split 90/10 like any text.</summary>
    public static TextCorpus Create(ulong seed = 0, int statements = DefaultStatements) =>
        TextCorpus.FromText(Generate(seed, statements), Name);

    /// <summary>
    /// Checks a generated statement line such as <c>17+25=42</c>: whether it is well formed and its
    /// answer is right. Used to show how much arithmetic a model has learned.
    /// </summary>
    public static bool IsCorrect(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var eq = line.IndexOf('=');
        if (eq <= 0) return false;
        var op = line.IndexOfAny(['+', '-'], 1);
        if (op <= 0 || op > eq) return false;
        if (!int.TryParse(line.AsSpan(0, op), out var a) || !int.TryParse(line.AsSpan(op + 1, eq - op - 1), out var b)) return false;
        if (!int.TryParse(line.AsSpan(eq + 1), out var c)) return false;
        if (!AllDigits(line.AsSpan(0, op)) || !AllDigits(line.AsSpan(op + 1, eq - op - 1)) || !AllDigits(line.AsSpan(eq + 1))) return false;
        return line[op] == '+' ? a + b == c : a - b == c;
    }

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (var ch in s) if (ch is < '0' or > '9') return false;
        return true;
    }
}
