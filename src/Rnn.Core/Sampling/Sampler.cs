namespace GpuRnn.Sampling;

/// <summary>How <see cref="Sampler"/> draws characters.</summary>
/// <param name="Temperature">Divides the logits: below 1 sharpens, above 1 flattens; must be positive.</param>
/// <param name="TopK">Draw only among the k most probable characters (0 = all).</param>
/// <param name="Seed">Seed of the draws: the same seed, model and prime give the same text.</param>
public sealed record SamplingOptions(double Temperature = 1, int TopK = 0, ulong Seed = 0)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public SamplingOptions Validate()
    {
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ArgumentException($"temperature must be positive, got {Temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (TopK < 0) throw new ArgumentException($"top-k must be zero (off) or positive, got {TopK}");
        return this;
    }
}

/// <summary>Generates text from a character model, one character at a time.</summary>
public static class Sampler
{
    /// <summary>
    /// Reads <paramref name="prime"/> and then draws <paramref name="length"/> characters, each fed
    /// back as the next input. With an empty prime the model starts after a newline (or its first
    /// character when it has no newline), which is not part of the result.
    /// </summary>
    /// <returns>The prime followed by the generated characters.</returns>
    /// <exception cref="ArgumentException">The prime has characters outside the vocabulary, or an option is invalid.</exception>
    public static string Generate(CharRnnModel model, Vocabulary vocabulary, string prime, int length, SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(prime);
        var ids = GenerateIds(model, StartIds(vocabulary, prime), length, options);
        return prime + vocabulary.Decode(ids);
    }

    /// <summary>The ids to feed first: the prime's, or a newline when the prime is empty.</summary>
    public static int[] StartIds(Vocabulary vocabulary, string prime)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(prime);
        if (prime.Length > 0) return vocabulary.Encode(prime, "the prime text");
        var newline = vocabulary.IdOf(new System.Text.Rune('\n'));
        return [newline >= 0 ? newline : 0];
    }

    /// <summary>Draws <paramref name="length"/> ids after feeding <paramref name="start"/> (at least one id).</summary>
    public static int[] GenerateIds(CharRnnModel model, int[] start, int length, SamplingOptions options)
    {
        var result = new int[length >= 0 ? length : 0];
        var i = 0;
        foreach (var id in Draw(model, start, length, options)) result[i++] = id;
        return result;
    }

    /// <summary>
    /// The ids of <see cref="GenerateIds"/>, each drawn when it is asked for, so that a long text
    /// can be written out as it is generated and never held whole. Arguments are checked at once.
    /// </summary>
    public static IEnumerable<int> Draw(CharRnnModel model, int[] start, int length, SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (length < 0) throw new ArgumentException($"length must not be negative, got {length}");
        if (start.Length == 0) throw new ArgumentException("sampling needs at least one starting character");
        return length == 0 ? [] : Draws(model, start, length, options);
    }

    private static IEnumerable<int> Draws(CharRnnModel model, int[] start, int length, SamplingOptions options)
    {
        using var state = model.CreateState(1);
        var logits = model.NextLogits(start, start.Length, state);
        var probabilities = new double[logits.Length];
        var rng = new RandomStream(CounterRng.Hash(options.Seed, 0x5A3));
        var next = new int[1];
        for (var i = 0; i < length; i++)
        {
            TokenSampler.Probabilities(logits, options.Temperature, options.TopK, probabilities);
            var id = TokenSampler.Draw(probabilities, rng.NextDouble());
            yield return id;
            if (i == length - 1) break;
            next[0] = id;
            logits = model.NextLogits(next, 1, state);
        }
    }

    /// <summary>
    /// The most probable continuation under greedy choice: the arg-max character at every step
    /// (stopping after <paramref name="stop"/> when given). Used to check answers of the built-in corpus.
    /// </summary>
    public static int[] Greedy(CharRnnModel model, int[] start, int maxLength, int stop = -1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(start);
        var result = new List<int>();
        using var state = model.CreateState(1);
        var logits = model.NextLogits(start, start.Length, state);
        var next = new int[1];
        for (var i = 0; i < maxLength; i++)
        {
            var best = 0;
            for (var j = 1; j < logits.Length; j++) if (logits[j] > logits[best]) best = j;
            result.Add(best);
            if (best == stop || i == maxLength - 1) break;
            next[0] = best;
            logits = model.NextLogits(next, 1, state);
        }
        return [.. result];
    }
}
