namespace GpuRnn.Data;

/// <summary>
/// One example of a sequence task: an input sequence of <see cref="Length"/> steps (token ids or
/// numeric feature vectors) and what is to be predicted from it (a label, a value, a target per
/// step, or an output sequence).
/// </summary>
public sealed record SequenceExample
{
    /// <summary>Steps of the input, at least 1.</summary>
    public required int Length { get; init; }

    /// <summary>Input token ids [Length], or null for numeric inputs.</summary>
    public int[]? Tokens { get; init; }

    /// <summary>Numeric inputs [Length * F] (step-major), or null for token inputs.</summary>
    public double[]? Features { get; init; }

    /// <summary>Many-to-one classification: the class id (-1 when not known, e.g. for prediction).</summary>
    public int Label { get; init; } = -1;

    /// <summary>Many-to-one regression: the target value.</summary>
    public double Value { get; init; }

    /// <summary>Sequence labelling: the target id of every step [Length] (-1 = not scored), or null.</summary>
    public int[]? Targets { get; init; }

    /// <summary>Sequence to sequence: the output token ids (without the end token), or null.</summary>
    public int[]? Output { get; init; }

    /// <summary>A name for the example in outputs (the sequence id of numeric rows), or null.</summary>
    public string? Id { get; init; }

    /// <summary>The 1-based line of the data file it starts on (0 for generated examples).</summary>
    public int Line { get; init; }
}

/// <summary>Padded, time-major host arrays of a batch of <see cref="SequenceExample"/>s.</summary>
public static class SequenceBatch
{
    /// <summary>The longest input among <paramref name="examples"/>, T.</summary>
    public static int MaxLength(IReadOnlyList<SequenceExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("a batch needs at least one example");
        var t = 0;
        foreach (var e in examples)
        {
            if (e.Length <= 0) throw new ArgumentException($"an example has length {e.Length} (expected at least 1)");
            t = Math.Max(t, e.Length);
        }
        return t;
    }

    /// <summary>The lengths [B].</summary>
    public static SequenceLengths Lengths(IReadOnlyList<SequenceExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var lengths = new int[examples.Count];
        for (var b = 0; b < lengths.Length; b++) lengths[b] = examples[b].Length;
        return new SequenceLengths(lengths);
    }

    /// <summary>Input ids [T, B] time-major, -1 past each example's end.</summary>
    public static int[] Tokens(IReadOnlyList<SequenceExample> examples, int steps, bool reverse = false) =>
        TimeMajor(examples, steps, e => e.Tokens ?? throw new ArgumentException("the model reads tokens but an example has numeric features"), reverse);

    /// <summary>Numeric inputs [T, B, F] time-major, zero past each example's end.</summary>
    public static double[] Features(IReadOnlyList<SequenceExample> examples, int steps, int featureSize)
    {
        ArgumentNullException.ThrowIfNull(examples);
        int batch = examples.Count;
        var x = new double[(long)steps * batch * featureSize];
        for (var b = 0; b < batch; b++)
        {
            var f = examples[b].Features ?? throw new ArgumentException("the model reads numeric features but an example has tokens");
            var n = examples[b].Length;
            if (f.Length != n * featureSize)
                throw new ArgumentException($"an example of {n} steps has {f.Length} features, not {n} x {featureSize}");
            for (var t = 0; t < n; t++) Array.Copy(f, t * featureSize, x, ((long)t * batch + b) * featureSize, featureSize);
        }
        return x;
    }

    /// <summary>Per-step targets [T, B] time-major, -1 past each example's end.</summary>
    public static int[] Targets(IReadOnlyList<SequenceExample> examples, int steps) =>
        TimeMajor(examples, steps, e => e.Targets ?? throw new ArgumentException("an example has no per-step targets"), reverse: false);

    // Ids [T, B] time-major from each example's first Length values, -1 past its end.
    private static int[] TimeMajor(IReadOnlyList<SequenceExample> examples, int steps, Func<SequenceExample, int[]> values, bool reverse)
    {
        ArgumentNullException.ThrowIfNull(examples);
        int batch = examples.Count;
        var ids = new int[steps * batch];
        Array.Fill(ids, -1);
        for (var b = 0; b < batch; b++)
        {
            var row = values(examples[b]);
            var n = examples[b].Length;
            // Reversed inputs stay left-aligned: step t reads value n - 1 - t (Sutskever et al.'s source reversal).
            for (var t = 0; t < n; t++) ids[t * batch + b] = row[reverse ? n - 1 - t : t];
        }
        return ids;
    }
}
