namespace GpuRnn.Sampling;

/// <summary>
/// A model that advances several hypotheses at once, one token each, each row with its own state
/// (what <see cref="BeamSearch"/> drives): the seq2seq decoder of one source
/// (<see cref="DecoderModel.Session"/>) or a character model after a prime (<see cref="CharRnnModel.Session"/>).
/// </summary>
public interface IStepDecoder : IDisposable
{
    /// <summary>Outputs V.</summary>
    int Vocabulary { get; }

    /// <summary>Hypotheses side by side, W.</summary>
    int Rows { get; }

    /// <summary>
    /// Row r continues the hypothesis that was row <paramref name="parents"/>[r] (its state is
    /// reordered so) and reads <paramref name="tokens"/>[r]; returns log p(next token) for every row,
    /// [W, V] row-major.
    /// </summary>
    double[] Next(ReadOnlySpan<int> parents, ReadOnlySpan<int> tokens);
}
