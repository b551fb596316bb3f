namespace GpuRnn;

/// <summary>A continuation found by <see cref="BeamSearch"/>, with its log-probability under the model.</summary>
/// <param name="Tokens">The continuation's ids.</param>
/// <param name="LogProbability">log p(continuation | prime), natural log.</param>
public sealed record BeamHypothesis(int[] Tokens, double LogProbability);

/// <summary>
/// Beam search: keeps the W most probable continuations at every step and returns them after
/// <c>length</c> characters, most probable first. All W hypotheses advance in one batched model
/// step of batch W; each keeps its own recurrent state. With W at least V^(length-1) the search
/// is exhaustive and the first result is the most probable continuation of that length.
/// </summary>
public static class BeamSearch
{
    /// <summary>Searches continuations of exactly <paramref name="length"/> characters after <paramref name="start"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="start">Ids fed first (the prime); at least one.</param>
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
        var v = model.VocabSize;

        // Every row reads the prime, so each starts from the prime's state; only row 0 is live at first.
        using var state = model.CreateState(width);
        var primeBatch = new int[start.Length * width];
        for (var t = 0; t < start.Length; t++) Array.Fill(primeBatch, start[t], t * width, width);
        var logits = model.NextLogits(primeBatch, start.Length, state);

        // Back-pointers per step: which hypothesis each survivor extends and with which id.
        var parent = new int[length, width];
        var token = new int[length, width];
        var scores = new double[width];
        var live = 1;
        var candidates = new double[width * v];
        var taken = new bool[width * v];
        var chosen = new int[width];
        var chosenScores = new double[width];
        var logProbabilities = new double[v];
        var inputs = new int[width];
        for (var step = 0; step < length; step++)
        {
            for (var i = 0; i < live; i++)
            {
                TokenSampler.LogSoftmax(logits.AsSpan(i * v, v), logProbabilities);
                for (var j = 0; j < v; j++) candidates[i * v + j] = scores[i] + logProbabilities[j];
            }
            // The W best candidates, highest score first; equal scores keep (hypothesis, id) order.
            var count = live * v;
            var kept = Math.Min(width, count);
            Array.Clear(taken, 0, count);
            for (var n = 0; n < kept; n++)
            {
                var best = -1;
                for (var c = 0; c < count; c++)
                    if (!taken[c] && (best < 0 || candidates[c] > candidates[best])) best = c;
                taken[best] = true;
                chosen[n] = best;
                chosenScores[n] = candidates[best];
            }
            for (var n = 0; n < kept; n++)
            {
                parent[step, n] = chosen[n] / v;
                token[step, n] = chosen[n] % v;
                scores[n] = chosenScores[n];
            }
            live = kept;
            if (step == length - 1) break;
            for (var b = 0; b < width; b++)
            {
                // Rows beyond the live hypotheses copy row 0 and are ignored.
                var source = b < live ? b : 0;
                chosen[b] = parent[step, source];
                inputs[b] = token[step, source];
            }
            state.Gather(chosen);
            logits = model.NextLogits(inputs, 1, state);
        }

        var result = new BeamHypothesis[live];
        for (var n = 0; n < live; n++)
        {
            var tokens = new int[length];
            for (int step = length - 1, row = n; step >= 0; row = parent[step, row], step--) tokens[step] = token[step, row];
            result[n] = new BeamHypothesis(tokens, scores[n]);
        }
        return result;
    }
}
