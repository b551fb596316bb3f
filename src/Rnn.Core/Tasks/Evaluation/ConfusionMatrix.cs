using System.Globalization;

namespace GpuRnn.Tasks;

/// <summary>Counts of (true class, predicted class) pairs, with accuracy and a printable table.</summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] _counts;

    /// <summary>An empty matrix over <paramref name="labels"/>.</summary>
    public ConfusionMatrix(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        Labels = labels;
        _counts = new long[labels.Count, labels.Count];
    }

    /// <summary>The classes, in id order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>How often class <paramref name="actual"/> was predicted as <paramref name="predicted"/>.</summary>
    public long this[int actual, int predicted] => _counts[actual, predicted];

    /// <summary>Pairs counted.</summary>
    public long Total { get; private set; }

    /// <summary>Pairs on the diagonal.</summary>
    public long Correct { get; private set; }

    /// <summary>Correct / total.</summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;

    /// <summary>Counts one pair.</summary>
    public void Add(int actual, int predicted)
    {
        _counts[actual, predicted]++;
        Total++;
        if (actual == predicted) Correct++;
    }

    /// <summary>The table: a header of predicted classes, then one row per true class.</summary>
    public IReadOnlyList<string> Format()
    {
        const string corner = "true \\ predicted";
        var width = Math.Max(8, Labels.Max(l => l.Length) + 1);
        var first = Math.Max(corner.Length, Labels.Max(l => l.Length)) + 1;
        var lines = new List<string> { corner.PadRight(first) + string.Concat(Labels.Select(l => l.PadLeft(width))) };
        for (var a = 0; a < Labels.Count; a++)
        {
            var row = Labels[a].PadRight(first);
            for (var p = 0; p < Labels.Count; p++) row += _counts[a, p].ToString(CultureInfo.InvariantCulture).PadLeft(width);
            lines.Add(row);
        }
        return lines;
    }
}
