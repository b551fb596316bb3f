namespace GpuRnn.Tasks;

// The character model as an IStepDecoder, so that one beam search serves it and the seq2seq decoder.
public sealed partial class CharRnnModel
{
    /// <summary>
    /// A stepping session of <paramref name="rows"/> hypotheses side by side, every row having read
    /// <paramref name="prime"/> (possibly empty) from a zero state (for beam search).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="rows"/> is not positive.</exception>
    public IStepDecoder Session(ReadOnlySpan<int> prime, int rows)
    {
        if (rows <= 0) throw new ArgumentException($"a session needs at least one row, got {rows}");
        var state = CreateState(rows);
        try
        {
            if (prime.Length > 0)
            {
                // [T, W]: every row reads the same characters.
                var batch = new int[prime.Length * rows];
                for (var t = 0; t < prime.Length; t++) Array.Fill(batch, prime[t], t * rows, rows);
                NextLogits(batch, prime.Length, state);
            }
            return new StepSession(this, state);
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    /// <summary>W hypotheses of one text, each with its own state: reordered, then fed one character.</summary>
    private sealed class StepSession(CharRnnModel model, RecurrentState state) : IStepDecoder
    {
        public int Vocabulary => model.VocabSize;

        public int Rows => state.Batch;

        public double[] Next(ReadOnlySpan<int> parents, ReadOnlySpan<int> tokens)
        {
            state.Gather(parents);
            var logits = model.NextLogits(tokens, 1, state);
            var v = model.VocabSize;
            var logProbabilities = new double[logits.Length];
            for (var r = 0; r < state.Batch; r++) TokenSampler.LogSoftmax(logits.AsSpan(r * v, v), logProbabilities.AsSpan(r * v, v));
            return logProbabilities;
        }

        public void Dispose() => state.Dispose();
    }
}
