namespace GpuRnn.Sampling;

/// <summary>A hypothesis found by <see cref="BeamSearch"/>, with its log-probability under the model.</summary>
/// <param name="Tokens">The output's ids (without the end token).</param>
/// <param name="LogProbability">log p(output | what the model read first), natural log.</param>
public sealed record BeamHypothesis(int[] Tokens, double LogProbability);

/// <summary>
/// Beam search over an <see cref="IStepDecoder"/>: every step extends each live hypothesis by every
/// token and keeps the W most probable extensions (ties in (hypothesis, token) order). With an end
/// token, an extension that ends with it is finished and the others stay live; the search stops
/// when nothing is live, when no live hypothesis can still beat the best finished one
/// (log-probabilities only fall), or at the length limit. Without one (a character model's
/// continuation) every hypothesis runs to the length. With W at least V^(length-1) nothing is
/// pruned and the first result is the most probable output of all.
/// </summary>
public static class BeamSearch
{
    /// <summary>The <c>end</c> of a search whose outputs have no end token: they all have the full length.</summary>
    public const int NoEnd = -1;

    /// <summary>Searches continuations of exactly <paramref name="length"/> characters after <paramref name="start"/>.</summary>
    /// <param name="model">The character model.</param>
    /// <param name="start">Ids read first (the prime); at least one.</param>
    /// <param name="length">Characters to generate.</param>
    /// <param name="width">Hypotheses kept, W.</param>
    /// <returns>Up to W hypotheses, most probable first (ties: the one found first).</returns>
    public static IReadOnlyList<BeamHypothesis> Run(CharRnnModel model, int[] start, int length, int width)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(start);
        if (width <= 0) throw new ArgumentException($"beam width must be positive, got {width}");
        if (length <= 0) throw new ArgumentException($"length must be positive, got {length}");
        if (start.Length == 0) throw new ArgumentException("beam search needs at least one starting character");
        // The prime's last character is the first token the search feeds.
        return Run(model.Session(start.AsSpan(0, start.Length - 1), width), width, length, start[^1], NoEnd);
    }

    /// <summary>Searches the outputs of <paramref name="decoder"/> (which it disposes) that end with <paramref name="end"/>, which is also fed first.</summary>
    /// <param name="decoder">The decoder, with at least <paramref name="width"/> rows, all in the start state.</param>
    /// <param name="width">Hypotheses kept, W.</param>
    /// <param name="maxLength">Tokens at most, the end token included.</param>
    /// <param name="end">The end token.</param>
    /// <returns>Finished outputs (without the end token), most probable first; when none finished, the live ones.</returns>
    public static IReadOnlyList<BeamHypothesis> Run(IStepDecoder decoder, int width, int maxLength, int end) => Run(decoder, width, maxLength, end, end);

    /// <summary>Searches the outputs of <paramref name="decoder"/> (which it disposes).</summary>
    /// <param name="decoder">The decoder, with at least <paramref name="width"/> rows, all in the start state.</param>
    /// <param name="width">Hypotheses kept, W.</param>
    /// <param name="maxLength">Tokens at most (the end token included).</param>
    /// <param name="first">The token every row reads first.</param>
    /// <param name="end">The end token, or <see cref="NoEnd"/>.</param>
    /// <returns>Finished outputs (without the end token), most probable first; when none finished, the live ones.</returns>
    public static IReadOnlyList<BeamHypothesis> Run(IStepDecoder decoder, int width, int maxLength, int first, int end)
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
            Array.Fill(tokens, first);
            for (var step = 0; step < maxLength && live.Count > 0; step++)
            {
                var logProbabilities = decoder.Next(parents, tokens);
                var kept = Best(live, logProbabilities, v, width);
                var next = new List<(List<int> Tokens, double Score)>(kept.Count);
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
                    tokens[r] = live.Count > 0 ? tokens[0] : first;
                }
                var bestFinished = finished.Count > 0 ? finished.Max(f => f.LogProbability) : double.NegativeInfinity;
                if (live.Count > 0 && bestFinished >= live.Max(l => l.Score)) break;
            }
            if (finished.Count == 0) finished.AddRange(live.Select(l => new BeamHypothesis([.. l.Tokens], l.Score)));
            return finished.Select((f, index) => (f, index)).OrderByDescending(x => x.f.LogProbability).ThenBy(x => x.index).Select(x => x.f).ToList();
        }
    }

    // Every extension of every live hypothesis; the W best, highest score first, ties in (hypothesis, token) order.
    private static List<(int Parent, int Token, double Score)> Best(List<(List<int> Tokens, double Score)> live, double[] logProbabilities, int v, int width)
    {
        var candidates = new List<(int Parent, int Token, double Score)>(live.Count * v);
        for (var i = 0; i < live.Count; i++)
            for (var j = 0; j < v; j++) candidates.Add((i, j, live[i].Score + logProbabilities[i * v + j]));
        return candidates.Select((c, index) => (c, index)).OrderByDescending(x => x.c.Score).ThenBy(x => x.index)
            .Take(width).Select(x => x.c).ToList();
    }
}
