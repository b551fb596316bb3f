namespace GpuRnn.Nn;

/// <summary>Summed cross-entropy over predicted characters, with how many were predicted right.</summary>
/// <param name="LossSum">Sum of -log p(target) in nats.</param>
/// <param name="Correct">Predictions whose most probable character was the target.</param>
/// <param name="Count">Characters predicted.</param>
public readonly record struct LossStats(double LossSum, double Correct, long Count)
{
    /// <summary>Mean loss in nats per character.</summary>
    public double Loss => Count == 0 ? double.NaN : LossSum / Count;

    /// <summary>Mean loss in bits per character.</summary>
    public double BitsPerCharacter => Loss / Math.Log(2);

    /// <summary>Share of characters predicted right, in [0, 1].</summary>
    public double Accuracy => Count == 0 ? double.NaN : Correct / Count;

    /// <summary>Both sums together.</summary>
    public static LossStats operator +(LossStats a, LossStats b) => new(a.LossSum + b.LossSum, a.Correct + b.Correct, a.Count + b.Count);
}
