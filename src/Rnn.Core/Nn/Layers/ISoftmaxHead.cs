namespace GpuRnn.Nn;

/// <summary>
/// An output layer from hidden vectors [N, H] to a distribution over V outputs, trained with
/// cross-entropy: the full softmax (<see cref="FullSoftmaxHead"/>) or the class-based one
/// (<see cref="ClassBasedSoftmax"/>).
/// </summary>
public interface ISoftmaxHead : IDisposable
{
    /// <summary>Hidden features per row, H.</summary>
    int InputSize { get; }

    /// <summary>Outputs, V.</summary>
    int OutputSize { get; }

    /// <summary>The layer's parameters with their gradients.</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// The cross-entropy of <paramref name="targets"/> over the rows of <paramref name="hidden"/>. With
    /// <paramref name="dHidden"/>, also the gradient of the mean loss over <paramref name="counted"/>
    /// rows: parameter gradients accumulate, dHidden is overwritten.
    /// </summary>
    /// <param name="hidden">[N, H].</param>
    /// <param name="targets">[N] host ids, each in [0, V) or -1 for a row that is not scored.</param>
    /// <param name="dHidden">Receives the gradient [N, H], or null for evaluation.</param>
    /// <param name="counted">Rows that are scored, the mean's divisor.</param>
    /// <returns>Summed loss, rows whose most probable output is the target (a class-based head counts them in evaluation only), rows counted.</returns>
    LossStats Loss(Tensor hidden, ReadOnlySpan<int> targets, Tensor? dHidden, int counted);

    /// <summary>log p(v | row) for every row and output, [N, V] row-major on the host, float64.</summary>
    double[] LogProbabilities(Tensor hidden);
}

/// <summary>Helpers shared by the heads.</summary>
internal static class HeadMath
{
    /// <summary>Downloads a small float tensor as float64.</summary>
    public static double[] Download(Tensor tensor) => tensor.ToFloat64Array();

    /// <summary>log softmax of every row of [rows, width] in place.</summary>
    public static void LogSoftmaxRows(Span<double> values, int rows, int width)
    {
        for (var r = 0; r < rows; r++)
        {
            var row = values.Slice(r * width, width);
            TokenSampler.LogSoftmax(row, row);
        }
    }

    /// <summary>The index of the largest value (the first of equals).</summary>
    public static int ArgMax(ReadOnlySpan<double> values)
    {
        var best = 0;
        for (var j = 1; j < values.Length; j++) if (values[j] > values[best]) best = j;
        return best;
    }
}
