namespace GpuRnn.Tasks.BuiltIn;

/// <summary>
/// The adding problem (Hochreiter and Schmidhuber 1997; the form of Le, Jaitly and Hinton 2015):
/// every step reads two numbers, a value uniform in [0, 1) and a marker; exactly two markers are 1,
/// one in the first half of the T steps and one in the second; the target is the sum of the two
/// marked values. Always predicting 1 scores a mean squared error of 1/6 (the variance of the sum).
/// </summary>
public static class AddingProblem
{
    /// <summary>The name shown for the data in logs and checkpoints.</summary>
    public const string Name = "built-in adding problem";

    /// <summary>Features per step: the value and the marker.</summary>
    public const int FeatureSize = 2;

    /// <summary>The mean squared error of always predicting 1: the variance of the sum of two U(0, 1), 2/12.</summary>
    public const double BaselineMse = 1.0 / 6;

    /// <summary>Example <paramref name="index"/> of the stream <paramref name="seed"/>, of <paramref name="length"/> steps.</summary>
    public static SequenceExample Example(ulong seed, long index, int length)
    {
        if (length < 2) throw new ArgumentException($"the adding problem needs at least 2 steps, got {length}");
        var random = new GeneratorRandom(seed, (ulong)index);
        var features = new double[length * FeatureSize];
        for (var t = 0; t < length; t++) features[t * FeatureSize] = random.NextDouble();
        var half = length / 2;
        int first = random.Next(half), second = half + random.Next(length - half);
        features[first * FeatureSize + 1] = 1;
        features[second * FeatureSize + 1] = 1;
        return new SequenceExample { Length = length, Features = features, Value = features[first * FeatureSize] + features[second * FeatureSize] };
    }

    /// <summary>A value and marker sequence as text: one <c>value,marker</c> pair per step, separated by spaces.</summary>
    public static string Format(SequenceExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var f = example.Features!;
        return string.Join(' ', Enumerable.Range(0, example.Length).Select(t =>
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{f[t * 2]:0.####},{f[t * 2 + 1]:0}")));
    }
}

/// <summary>
/// The copy-memory task (Hochreiter and Schmidhuber 1997; the form of Arjovsky, Shah and Bengio
/// 2016): K symbols from 1..8, then T - 1 blanks (0), a delimiter (9) and K more blanks; the model
/// must output blanks until the delimiter's K steps are over and then the K symbols in order. Each
/// input step is one symbol; the target of every step is scored. Outputting blanks and then random
/// symbols scores a cross-entropy of K ln 8 / (T + 2K) per step.
/// </summary>
public static class CopyProblem
{
    /// <summary>The name shown for the data in logs and checkpoints.</summary>
    public const string Name = "built-in copy-memory task";

    /// <summary>Symbols: 0 blank, 1..8 to remember, 9 the delimiter.</summary>
    public const int Symbols = 10;

    /// <summary>The delimiter.</summary>
    public const int Delimiter = 9;

    /// <summary>The symbol vocabulary (<c>0</c> .. <c>9</c>).</summary>
    public static Vocabulary Vocabulary => new(Enumerable.Range(0, Symbols).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The per-step cross-entropy of the memoryless strategy, K ln 8 / (T + 2K).</summary>
    public static double BaselineLoss(int delay, int count) => count * Math.Log(8) / (delay + 2.0 * count);

    /// <summary>Example <paramref name="index"/> of the stream <paramref name="seed"/>: K = <paramref name="count"/> symbols recalled after T = <paramref name="delay"/> steps.</summary>
    public static SequenceExample Example(ulong seed, long index, int delay, int count)
    {
        if (delay < 1) throw new ArgumentException($"the copy delay must be at least 1, got {delay}");
        if (count < 1) throw new ArgumentException($"the copy task needs at least 1 symbol, got {count}");
        var random = new GeneratorRandom(seed, (ulong)index);
        var length = delay + 2 * count;
        var inputs = new int[length];
        var targets = new int[length];
        for (var i = 0; i < count; i++)
        {
            inputs[i] = 1 + random.Next(8);
            targets[delay + count + i] = inputs[i];
        }
        inputs[delay + count - 1] = Delimiter;
        return new SequenceExample { Length = length, Tokens = inputs, Targets = targets };
    }
}
