namespace GpuRnn.Sampling;

/// <summary>
/// Draws the next character from a model's logits: softmax at a temperature, optionally
/// restricted to the k most probable characters (top-k). Pure functions of their arguments,
/// computed in float64 on the host (a vocabulary is small).
/// </summary>
public static class TokenSampler
{
    /// <summary>
    /// probabilities = softmax(logits / temperature) over the <paramref name="topK"/> largest logits
    /// (ties broken by the lower id), zero elsewhere; topK &lt;= 0 or &gt;= V keeps every character.
    /// </summary>
    public static void Probabilities(ReadOnlySpan<double> logits, double temperature, int topK, Span<double> probabilities)
    {
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), $"temperature must be positive and finite, got {temperature}");
        if (probabilities.Length != logits.Length)
            throw new ArgumentException($"probabilities has {probabilities.Length} entries but logits has {logits.Length}");
        var v = logits.Length;
        if (v == 0) throw new ArgumentException("logits is empty");
        var keep = topK <= 0 || topK >= v ? v : topK;
        Span<bool> kept = v <= 1024 ? stackalloc bool[v] : new bool[v];
        if (keep == v) kept.Fill(true);
        else
        {
            kept.Clear();
            // Selection of the k largest: k passes over V (k and V are small in a character model).
            for (var n = 0; n < keep; n++)
            {
                var best = -1;
                for (var j = 0; j < v; j++)
                    if (!kept[j] && (best < 0 || logits[j] > logits[best])) best = j;
                kept[best] = true;
            }
        }
        var max = double.NegativeInfinity;
        for (var j = 0; j < v; j++) if (kept[j]) max = Math.Max(max, logits[j]);
        var sum = 0.0;
        for (var j = 0; j < v; j++)
        {
            probabilities[j] = kept[j] ? Math.Exp((logits[j] - max) / temperature) : 0;
            sum += probabilities[j];
        }
        for (var j = 0; j < v; j++) probabilities[j] /= sum;
    }

    /// <summary>The id whose cumulative probability first exceeds <paramref name="u"/> in [0, 1).</summary>
    public static int Draw(ReadOnlySpan<double> probabilities, double u)
    {
        var cumulative = 0.0;
        var last = -1;
        for (var j = 0; j < probabilities.Length; j++)
        {
            if (probabilities[j] <= 0) continue;
            cumulative += probabilities[j];
            last = j;
            if (u < cumulative) return j;
        }
        // Rounding can leave the total a hair below 1: the last possible id takes the remainder.
        return last >= 0 ? last : throw new ArgumentException("every probability is zero");
    }

    /// <summary>log softmax(logits) in float64.</summary>
    public static void LogSoftmax(ReadOnlySpan<double> logits, Span<double> result)
    {
        var max = double.NegativeInfinity;
        foreach (var z in logits) max = Math.Max(max, z);
        var sum = 0.0;
        foreach (var z in logits) sum += Math.Exp(z - max);
        var log = Math.Log(sum) + max;
        for (var j = 0; j < logits.Length; j++) result[j] = logits[j] - log;
    }
}
