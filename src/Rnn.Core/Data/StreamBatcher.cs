namespace GpuRnn.Data;

/// <summary>
/// Truncated-BPTT batching in char-rnn's style: the token sequence is cut into B contiguous
/// streams of equal length, and chunk k of an epoch holds steps [k*T, (k+1)*T) of every stream,
/// so each chunk continues exactly where the previous one ended and the hidden state can be
/// carried across. Targets are the inputs shifted by one token. Which chunk a step uses is a pure
/// function of the step number, so a resumed run continues with the same data.
/// </summary>
public sealed class StreamBatcher
{
    private readonly int[] _tokens;

    /// <summary>Cuts <paramref name="tokens"/> into <paramref name="batch"/> streams read <paramref name="sequenceLength"/> steps at a time.</summary>
    /// <exception cref="ArgumentException">A size is not positive, or the tokens do not fill one chunk of every stream (B * T + 1 are needed).</exception>
    public StreamBatcher(int[] tokens, int batch, int sequenceLength, string what = "the training text")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (batch <= 0) throw new ArgumentException($"batch size must be positive, got {batch}");
        if (sequenceLength <= 0) throw new ArgumentException($"sequence length must be positive, got {sequenceLength}");
        var needed = (long)batch * sequenceLength + 1;
        if (tokens.Length < needed)
            throw new ArgumentException($"{what} has {tokens.Length} characters, shorter than one batch: batch {batch} x seq {sequenceLength} + 1 = {needed} are needed (use a smaller --batch or --seq, or more text)");
        _tokens = tokens;
        Batch = batch;
        SequenceLength = sequenceLength;
        StreamLength = (tokens.Length - 1) / batch;
        ChunksPerEpoch = StreamLength / sequenceLength;
    }

    /// <summary>Number of parallel streams, B.</summary>
    public int Batch { get; }

    /// <summary>Steps per chunk, T.</summary>
    public int SequenceLength { get; }

    /// <summary>Input tokens per stream.</summary>
    public int StreamLength { get; }

    /// <summary>Chunks in one pass over the streams; the remainder of each stream shorter than T is not used.</summary>
    public int ChunksPerEpoch { get; }

    /// <summary>Characters predicted per chunk, B * T.</summary>
    public int CharactersPerChunk => Batch * SequenceLength;

    /// <summary>The epoch that training step <paramref name="step"/> (0-based) falls in.</summary>
    public long EpochOf(long step) => step / ChunksPerEpoch;

    /// <summary>Whether step <paramref name="step"/> starts a new pass, where carried hidden state must be reset.</summary>
    public bool StartsEpoch(long step) => step % ChunksPerEpoch == 0;

    /// <summary>
    /// Fills the inputs and targets of step <paramref name="step"/> (0-based), both [T, B] row-major:
    /// element t * B + b is step t of stream b.
    /// </summary>
    public void Fill(long step, Span<int> inputs, Span<int> targets)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), $"step must not be negative, got {step}");
        var chunk = (int)(step % ChunksPerEpoch);
        FillAt(chunk * SequenceLength, SequenceLength, inputs, targets);
    }

    /// <summary>Fills [steps, B] inputs and targets from position <paramref name="offset"/> of every stream.</summary>
    internal void FillAt(int offset, int steps, Span<int> inputs, Span<int> targets)
    {
        var size = steps * Batch;
        if (inputs.Length != size || targets.Length != size)
            throw new ArgumentException($"inputs and targets need {steps} x {Batch} = {size} entries, got {inputs.Length} and {targets.Length}");
        if (offset < 0 || offset + steps > StreamLength)
            throw new ArgumentOutOfRangeException(nameof(offset), $"steps [{offset}, {offset + steps}) are outside the streams of length {StreamLength}");
        for (var b = 0; b < Batch; b++)
        {
            var start = b * StreamLength + offset;
            for (var t = 0; t < steps; t++)
            {
                inputs[t * Batch + b] = _tokens[start + t];
                targets[t * Batch + b] = _tokens[start + t + 1];
            }
        }
    }
}
