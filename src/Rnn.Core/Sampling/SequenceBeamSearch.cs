namespace GpuRnn;

/// <summary>
/// A decoder that advances several hypotheses at once, each row with its own state (what
/// <see cref="SequenceBeamSearch"/> drives).
/// </summary>
public interface IStepDecoder : IDisposable
{
    /// <summary>Outputs V.</summary>
    int Vocabulary { get; }

    /// <summary>Hypotheses side by side, W.</summary>
    int Rows { get; }

    /// <summary>
    /// Row r continues the hypothesis that was row <paramref name="parents"/>[r] and reads
    /// <paramref name="tokens"/>[r]; returns log p(next token) for every row, [W, V] row-major.
    /// </summary>
    double[] Next(ReadOnlySpan<int> parents, ReadOnlySpan<int> tokens);
}

/// <summary>
/// Beam search with an end token: every step extends each live hypothesis by every token and
/// keeps the W most probable extensions; one that ends with the end token is finished, the others
/// stay live. The search stops when nothing is live, when no live hypothesis can still beat the
/// best finished one (log-probabilities only fall), or at the length limit. With W at least
/// V^maxLength nothing is pruned and the first result is the most probable output of all.
/// </summary>
public static class SequenceBeamSearch
{
    /// <summary>Searches the outputs of <paramref name="decoder"/> (which it disposes).</summary>
    /// <param name="decoder">The decoder, with at least <paramref name="width"/> rows, all in the start state.</param>
    /// <param name="width">Hypotheses kept, W.</param>
    /// <param name="maxLength">Tokens at most, the end token included.</param>
    /// <param name="end">The end token, which is also fed first.</param>
    /// <returns>Finished outputs (without the end token), most probable first; when none finished, the live ones.</returns>
    public static IReadOnlyList<BeamHypothesis> Run(IStepDecoder decoder, int width, int maxLength, int end)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        using (decoder)
        {
            if (width <= 0) throw new ArgumentException($"beam width must be positive, got {width}");
            if (maxLength <= 0) throw new ArgumentException($"the longest output must be positive, got {maxLength}");
            if (decoder.Rows < width) throw new ArgumentException($"the decoder has {decoder.Rows} rows for a beam of {width}");
            var v = decoder.Vocabulary;
            var rows = decoder.Rows;
            var live = new List<(List<int> Tokens, double Score)> { ([], 0) };
            var finished = new List<BeamHypothesis>();
            var parents = new int[rows];
            var tokens = new int[rows];
            Array.Fill(tokens, end);
            for (var step = 0; step < maxLength && live.Count > 0; step++)
            {
                var logProbabilities = decoder.Next(parents, tokens);
                // Every extension of every live hypothesis; the W best, ties in (hypothesis, token) order.
                var candidates = new List<(int Parent, int Token, double Score)>(live.Count * v);
                for (var i = 0; i < live.Count; i++)
                    for (var j = 0; j < v; j++) candidates.Add((i, j, live[i].Score + logProbabilities[i * v + j]));
                var kept = candidates.Select((c, index) => (c, index)).OrderByDescending(x => x.c.Score).ThenBy(x => x.index)
                    .Take(width).Select(x => x.c).ToList();
                var next = new List<(List<int> Tokens, double Score)>();
                foreach (var (parent, token, score) in kept)
                {
                    if (token == end)
                    {
                        finished.Add(new BeamHypothesis([.. live[parent].Tokens], score));
                        continue;
                    }
                    parents[next.Count] = parent;
                    tokens[next.Count] = token;
                    next.Add(([.. live[parent].Tokens, token], score));
                }
                live = next;
                // Rows beyond the live hypotheses copy row 0 and are ignored.
                for (var r = live.Count; r < rows; r++)
                {
                    parents[r] = live.Count > 0 ? parents[0] : 0;
                    tokens[r] = live.Count > 0 ? tokens[0] : end;
                }
                var bestFinished = finished.Count > 0 ? finished.Max(f => f.LogProbability) : double.NegativeInfinity;
                if (live.Count > 0 && bestFinished >= live.Max(l => l.Score)) break;
            }
            if (finished.Count == 0) finished.AddRange(live.Select(l => new BeamHypothesis([.. l.Tokens], l.Score)));
            return finished.Select((f, index) => (f, index)).OrderByDescending(x => x.f.LogProbability).ThenBy(x => x.index).Select(x => x.f).ToList();
        }
    }
}
