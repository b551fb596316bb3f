namespace GpuRnn.Nn;

/// <summary>
/// Per-sequence lengths of a padded, time-major batch, with PyTorch's packed-sequence meaning:
/// sequence b occupies steps <c>[0, Lengths[b])</c>; outputs past its end are zero; its final
/// state is the one at its own last step; the reverse direction starts at that step. Lengths
/// need not be sorted. Immutable once created.
/// </summary>
public sealed class SequenceLengths
{
    private readonly int[] _lengths;

    /// <summary>Copies and checks the lengths: each must be positive.</summary>
    public SequenceLengths(ReadOnlySpan<int> lengths)
    {
        if (lengths.Length == 0) throw new ArgumentException("lengths is empty (expected one length per sequence in the batch)");
        for (var b = 0; b < lengths.Length; b++)
        {
            if (lengths[b] <= 0)
                throw new ArgumentException($"length of sequence {b} is {lengths[b]} (expected at least 1)");
        }
        _lengths = lengths.ToArray();
        var max = 0;
        foreach (var l in _lengths) max = Math.Max(max, l);
        MaxLength = max;
    }

    /// <summary>The lengths, one per sequence: [B].</summary>
    public ReadOnlySpan<int> Values => _lengths;

    /// <summary>Number of sequences, B.</summary>
    public int BatchSize => _lengths.Length;

    /// <summary>The longest length.</summary>
    public int MaxLength { get; }

    /// <summary>The length of sequence <paramref name="b"/>.</summary>
    public int this[int b] => _lengths[b];

    /// <summary>Throws unless there is one length per sequence and none exceeds <paramref name="steps"/>.</summary>
    public void Check(int steps, int batch)
    {
        if (BatchSize != batch)
            throw new ArgumentException($"lengths has {BatchSize} entries but the batch has {batch} sequences");
        for (var b = 0; b < _lengths.Length; b++)
        {
            if (_lengths[b] > steps)
                throw new ArgumentException($"length of sequence {b} is {_lengths[b]} but the input has only {steps} time steps");
        }
    }

    /// <summary>True when every sequence spans all <paramref name="steps"/> steps (no masking needed).</summary>
    public bool IsFull(int steps)
    {
        foreach (var l in _lengths) if (l != steps) return false;
        return true;
    }
}
