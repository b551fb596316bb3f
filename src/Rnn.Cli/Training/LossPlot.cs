namespace GpuRnn.Cli.Training;

/// <summary>Draws the training and validation loss curves of a run as a PNG (ScottPlot).</summary>
public static class LossPlot
{
    /// <summary>Writes the plot of <paramref name="rows"/> to <paramref name="path"/>.</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="rows">The metrics.</param>
    /// <param name="title">The plot's title.</param>
    /// <param name="lossName">The y axis's label.</param>
    public static void Save(string path, IReadOnlyList<MetricsRow> rows, string title, string lossName = "loss (nats per character)")
    {
        ArgumentNullException.ThrowIfNull(rows);
        var plot = new ScottPlot.Plot();
        var train = rows.Where(r => double.IsFinite(r.TrainLoss)).ToList();
        if (train.Count > 0)
        {
            var curve = plot.Add.ScatterLine(train.Select(r => (double)r.Step).ToArray(), Smooth(train.Select(r => r.TrainLoss).ToArray()));
            curve.LegendText = "train (mean of the last 10 steps)";
            curve.LineWidth = 1.5f;
        }
        var validation = rows.Where(r => double.IsFinite(r.ValidationLoss)).ToList();
        if (validation.Count > 0)
        {
            var curve = plot.Add.Scatter(validation.Select(r => (double)r.Step).ToArray(), validation.Select(r => r.ValidationLoss).ToArray());
            curve.LegendText = "validation";
            curve.LineWidth = 2;
            curve.MarkerSize = 6;
        }
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel(lossName);
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 900, 540);
    }

    // A trailing mean, so the curve shows the trend rather than the noise of single chunks.
    private static double[] Smooth(double[] values)
    {
        const int window = 10;
        var result = new double[values.Length];
        var sum = 0.0;
        for (var i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
