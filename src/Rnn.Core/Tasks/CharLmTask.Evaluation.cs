namespace GpuRnn.Tasks;

// The character model's evaluation: a whole text read as parallel streams with the state carried
// from chunk to chunk, as in training, rather than each window from a fresh state.
public sealed partial class CharLmTask
{
    /// <summary>
    /// Reads <paramref name="tokens"/> as up to <paramref name="batch"/> contiguous streams in chunks of
    /// <paramref name="sequenceLength"/>, carrying the state from chunk to chunk as in training, and
    /// sums the loss of predicting every next character (all but fewer than B of them).
    /// </summary>
    /// <param name="model">The model (not changed; no dropout).</param>
    /// <param name="tokens">The text's ids; at least 2.</param>
    /// <param name="batch">Streams at most (fewer when the text is short).</param>
    /// <param name="sequenceLength">Characters per chunk.</param>
    /// <param name="maxCharacters">Stop after about this many predictions (0 = the whole text).</param>
    /// <param name="communicator">Ranks that share the work (default: this process alone): each reads its part of
    /// the streams and the sums are added in rank order, the same on every rank and equal to one process's within rounding.</param>
    public static LossStats EvaluateText(CharRnnModel model, int[] tokens, int batch, int sequenceLength, long maxCharacters = 0, ICommunicator? communicator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Length < 2) throw new ArgumentException($"evaluation needs at least 2 characters, got {tokens.Length}");
        if (batch <= 0) throw new ArgumentException($"batch size must be positive, got {batch}");
        if (sequenceLength <= 0) throw new ArgumentException($"sequence length must be positive, got {sequenceLength}");
        var streams = (int)Math.Clamp((tokens.Length - 1L) / sequenceLength, 1, batch);
        var streamer = new StreamBatcher(tokens, streams, 1, "the evaluation text");
        var length = streamer.StreamLength;
        if (maxCharacters > 0) length = (int)Math.Min(length, Math.Max(1, maxCharacters / streams));
        // A chunk never needs more steps than the text has (a checkpoint's seq may say a billion).
        sequenceLength = Math.Min(sequenceLength, length);
        var parallel = new DataParallel(communicator ?? SingleProcessCommunicator.Instance);
        var (first, mine) = DataParallel.Part(streams, parallel.Communicator.Size, parallel.Communicator.Rank);
        var total = mine > 0 ? Streams(model, streamer, first, mine, sequenceLength, length) : default;
        return parallel.SumStats(total);
    }

    // Streams [first, first + count) of the streamer's, chunk by chunk, the state carried between chunks.
    private static LossStats Streams(CharRnnModel model, StreamBatcher streamer, int first, int count, int sequenceLength, int length)
    {
        var streams = streamer.Batch;
        using var state = model.CreateState(count);
        var inputs = new int[sequenceLength * streams];
        var targets = new int[sequenceLength * streams];
        var (myInputs, myTargets) = count == streams ? (inputs, targets) : (new int[sequenceLength * count], new int[sequenceLength * count]);
        var total = default(LossStats);
        for (var offset = 0; offset < length; offset += sequenceLength)
        {
            var steps = Math.Min(sequenceLength, length - offset);
            streamer.FillAt(offset, steps, inputs.AsSpan(0, steps * streams), targets.AsSpan(0, steps * streams));
            if (count != streams)
            {
                for (var t = 0; t < steps; t++)
                {
                    Array.Copy(inputs, t * streams + first, myInputs, t * count, count);
                    Array.Copy(targets, t * streams + first, myTargets, t * count, count);
                }
            }
            var n = steps * count;
            total += model.Evaluate(myInputs.AsSpan(0, n), myTargets.AsSpan(0, n), steps, state);
        }
        return total;
    }

    /// <summary>
    /// The examples are consecutive windows of one text (as <see cref="ReadFile"/>, <see cref="BuiltInTest"/>
    /// and the training data's validation give them): the text is evaluated whole by
    /// <see cref="EvaluateText"/> in chunks of the windows' length, with up to <paramref name="batch"/> streams.
    /// </summary>
    /// <exception cref="ArgumentException">The examples are not consecutive windows of one text.</exception>
    public override TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, int batch, int beam, ICommunicator? communicator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        var loss = EvaluateText((CharRnnModel)model, Text(examples), batch, examples[0].Length, communicator: communicator);
        return Evaluate(model, examples, loss, beam);
    }

    /// <summary>The characters predicted: <c>1,234 characters</c>.</summary>
    public override string DescribeEvaluated(IReadOnlyList<SequenceExample> examples, TaskReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return I($"{report.Loss.Count:N0} characters");
    }

    // The text the windows were cut from: each window's inputs, then the last window's last target.
    private static int[] Text(IReadOnlyList<SequenceExample> windows)
    {
        if (windows.Count == 0) throw new ArgumentException("there is no text to evaluate");
        var ids = new List<int>();
        for (var i = 0; i < windows.Count; i++)
        {
            var w = windows[i];
            if (w.Tokens is null || w.Targets is null || w.Tokens.Length != w.Length || w.Targets.Length != w.Length || w.Length == 0
                || (i > 0 && w.Tokens[0] != windows[i - 1].Targets![^1]))
                throw new ArgumentException($"a character model evaluates consecutive windows of one text; example {i} does not continue the one before");
            for (var t = 1; t < w.Length; t++)
            {
                if (w.Tokens[t] != w.Targets[t - 1])
                    throw new ArgumentException($"a character model evaluates consecutive windows of one text; example {i} does not predict its next character");
            }
            ids.AddRange(w.Tokens);
        }
        ids.Add(windows[^1].Targets![^1]);
        return [.. ids];
    }
}
