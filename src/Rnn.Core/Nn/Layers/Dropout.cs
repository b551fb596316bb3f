namespace GpuRnn.Nn;

/// <summary>
/// Inverted dropout with masks from the counter-based generator: the mask of a call is a pure
/// function of (seed, counter), so training with dropout is reproducible and resumes exactly
/// when the counter is saved. A module without parameters, as torch.nn.Dropout.
/// </summary>
public sealed class Dropout : Module
{
    /// <summary>Creates a dropout of probability <paramref name="probability"/> in [0, 1).</summary>
    public Dropout(double probability)
    {
        if (!(probability >= 0 && probability < 1))
            throw new ArgumentException($"dropout must be in [0, 1), got {probability}");
        Probability = probability;
    }

    /// <summary>The probability of zeroing an element in training.</summary>
    public double Probability { get; }

    /// <summary>Whether the layer does anything.</summary>
    public bool IsActive => Probability > 0;

    /// <summary>
    /// y = x * mask with mask 1/(1-p) or 0 drawn at counters [counter, counter + n); returns the
    /// counter after the draw. x and y may be the same tensor.
    /// </summary>
    public ulong Forward(Tensor x, Tensor y, Tensor mask, ulong seed, ulong counter)
    {
        ArgumentNullException.ThrowIfNull(x);
        x.Backend.DropoutForward(x, y, mask, Probability, seed, counter);
        return counter + (ulong)x.ElementCount;
    }

    /// <summary>dx = dy * mask (dx may be dy).</summary>
    public static void Backward(Tensor dy, Tensor mask, Tensor dx)
    {
        ArgumentNullException.ThrowIfNull(dy);
        dy.Backend.Multiply(dy, mask, dx);
    }
}
