namespace GpuRnn.Tasks;

/// <summary>
/// Corpus-level BLEU (Papineni, Roukos, Ward and Zhu 2002): the modified n-gram precisions p_n for
/// n = 1..N over the whole corpus (each candidate n-gram counted at most as often as it occurs in a
/// single one of its references, summed over the corpus, divided by the candidates' n-grams), their
/// geometric mean with uniform weights 1/N, times the brevity penalty BP = 1 when the candidates'
/// total length c exceeds the effective reference length r (the sum over candidates of the
/// reference length closest to the candidate's, the shorter on a tie) and exp(1 - r / c) otherwise.
/// A corpus where some p_n is 0 (or with no candidate tokens) scores 0; there is no smoothing.
/// </summary>
public static class Bleu
{
    /// <summary>The n-gram order of BLEU-4.</summary>
    public const int DefaultOrder = 4;

    /// <summary>BLEU of <paramref name="candidates"/> [K] against one reference each [K], in [0, 1].</summary>
    public static double Score(IReadOnlyList<int[]> candidates, IReadOnlyList<int[]> references, int order = DefaultOrder)
    {
        ArgumentNullException.ThrowIfNull(references);
        return Score(candidates, references.Select(r => (IReadOnlyList<int[]>)[r]).ToList(), order);
    }

    /// <summary>BLEU of <paramref name="candidates"/> [K] against each one's references [K][R_k], in [0, 1].</summary>
    /// <exception cref="ArgumentException">The lists differ in length, a candidate has no reference, or the order is not positive.</exception>
    public static double Score(IReadOnlyList<int[]> candidates, IReadOnlyList<IReadOnlyList<int[]>> references, int order = DefaultOrder)
    {
        var s = Statistics(candidates, references, order);
        if (s.CandidateLength == 0) return 0;
        var logMean = 0.0;
        for (var n = 0; n < order; n++)
        {
            if (s.Matches[n] == 0) return 0;
            logMean += Math.Log((double)s.Matches[n] / s.Totals[n]) / order;
        }
        var penalty = s.CandidateLength > s.ReferenceLength ? 0 : 1 - (double)s.ReferenceLength / s.CandidateLength;
        return Math.Exp(penalty + logMean);
    }

    /// <summary>The corpus counts BLEU is computed from.</summary>
    /// <param name="Matches">Clipped n-gram matches for n = 1..N [N].</param>
    /// <param name="Totals">Candidate n-grams for n = 1..N [N].</param>
    /// <param name="CandidateLength">c: candidate tokens.</param>
    /// <param name="ReferenceLength">r: the effective reference length.</param>
    public sealed record Counts(long[] Matches, long[] Totals, long CandidateLength, long ReferenceLength);

    /// <summary>The clipped matches, n-gram totals and lengths of a corpus.</summary>
    public static Counts Statistics(IReadOnlyList<int[]> candidates, IReadOnlyList<IReadOnlyList<int[]>> references, int order = DefaultOrder)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(references);
        if (order <= 0) throw new ArgumentException($"the n-gram order must be positive, got {order}");
        if (candidates.Count != references.Count)
            throw new ArgumentException($"{candidates.Count} candidates but {references.Count} reference sets (expected one set per candidate)");
        var matches = new long[order];
        var totals = new long[order];
        long c = 0, r = 0;
        for (var k = 0; k < candidates.Count; k++)
        {
            var candidate = candidates[k];
            var refs = references[k];
            if (refs.Count == 0) throw new ArgumentException($"candidate {k} has no reference");
            c += candidate.Length;
            r += refs.Select(x => x.Length).OrderBy(len => Math.Abs(len - candidate.Length)).ThenBy(len => len).First();
            for (var n = 1; n <= order; n++)
            {
                var counts = NGrams(candidate, n);
                // The most times each n-gram occurs in any single reference clips its count.
                var most = new Dictionary<string, int>();
                foreach (var reference in refs)
                {
                    foreach (var (gram, count) in NGrams(reference, n))
                        most[gram] = Math.Max(count, most.GetValueOrDefault(gram));
                }
                foreach (var (gram, count) in counts)
                {
                    totals[n - 1] += count;
                    matches[n - 1] += Math.Min(count, most.GetValueOrDefault(gram));
                }
            }
        }
        return new Counts(matches, totals, c, r);
    }

    private static Dictionary<string, int> NGrams(int[] tokens, int n)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i + n <= tokens.Length; i++)
        {
            var key = string.Join(' ', tokens.Skip(i).Take(n));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }
}
