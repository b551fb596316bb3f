using System.Globalization;

namespace GpuRnn.Cli.Training;

/// <summary>One row of the metrics file: a training step, with the validation result when one was measured then.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="TrainLoss">The step's training loss, nats per character.</param>
/// <param name="LearningRate">The step's learning rate.</param>
/// <param name="GradientNorm">Global gradient norm before clipping.</param>
/// <param name="CharactersPerSecond">Training throughput of the step.</param>
/// <param name="ValidationLoss">Validation loss in nats per character, or NaN.</param>
/// <param name="ValidationAccuracy">Validation next-character accuracy in [0, 1], or NaN.</param>
public readonly record struct MetricsRow(long Step, double TrainLoss, double LearningRate, double GradientNorm, double CharactersPerSecond,
    double ValidationLoss, double ValidationAccuracy);

/// <summary>
/// The run's metrics as CSV (<c>step,train_loss,learning_rate,grad_norm,chars_per_second,val_loss,val_bpc,val_accuracy</c>),
/// one row per step, validation columns filled at evaluation steps. A resumed run keeps the rows up
/// to the step it resumes from and appends. The task models write their own unit in the throughput
/// column's name (<c>sequences_per_second</c>, <c>tokens_per_second</c>), and val_bpc is the
/// validation loss in bits (empty for a squared error).
/// </summary>
public sealed class MetricsLog : IDisposable
{
    /// <summary>The header line.</summary>
    public const string Header = "step,train_loss,learning_rate,grad_norm,chars_per_second,val_loss,val_bpc,val_accuracy";

    private readonly StreamWriter _writer;
    private readonly List<MetricsRow> _rows;
    private MetricsRow? _pending;

    private readonly bool _bits;

    private MetricsLog(string path, List<MetricsRow> rows, string unit, bool bits)
    {
        Path = path;
        _rows = rows;
        _bits = bits;
        _writer = new StreamWriter(path, append: false);
        _writer.WriteLine(Header.Replace("chars_per_second", unit + "_per_second", StringComparison.Ordinal));
        foreach (var row in rows) _writer.WriteLine(Format(row));
        _writer.Flush();
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Every row so far, including those kept from before a resume.</summary>
    public IReadOnlyList<MetricsRow> Rows => _rows;

    /// <summary>Creates the file, keeping the rows of an existing one up to <paramref name="keepThrough"/> (a resumed run's step).</summary>
    /// <param name="path">The file.</param>
    /// <param name="keepThrough">The step of a resumed run (0 for a fresh one).</param>
    /// <param name="unit">What the throughput counts: <c>chars</c>, <c>sequences</c> or <c>tokens</c>.</param>
    /// <param name="lossInNats">Whether the loss is a cross-entropy (so val_bpc is written).</param>
    public static MetricsLog Open(string path, long keepThrough, string unit = "chars", bool lossInNats = true)
    {
        var rows = new List<MetricsRow>();
        if (keepThrough > 0 && File.Exists(path))
        {
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                if (TryParse(line, out var row) && row.Step <= keepThrough) rows.Add(row);
            }
        }
        return new MetricsLog(path, rows, unit, lossInNats);
    }

    /// <summary>Records a step; it is written when the next step or an evaluation arrives.</summary>
    public void AddStep(in StepReport report)
    {
        FlushPending();
        _pending = new MetricsRow(report.Step, report.Loss, report.LearningRate, report.GradientNorm,
            report.Seconds > 0 ? report.Characters / report.Seconds : double.NaN, double.NaN, double.NaN);
    }

    /// <summary>Adds a validation result to the row of its step and writes it out.</summary>
    public void AddEvaluation(in EvaluationReport report)
    {
        if (_pending is { } row && row.Step == report.Step)
            _pending = row with { ValidationLoss = report.Validation.Loss, ValidationAccuracy = report.Validation.Accuracy };
        FlushPending();
        _writer.Flush();
    }

    /// <summary>Writes everything recorded.</summary>
    public void Flush()
    {
        FlushPending();
        _writer.Flush();
    }

    /// <summary>Writes what is pending and closes the file.</summary>
    public void Dispose()
    {
        FlushPending();
        _writer.Dispose();
    }

    private void FlushPending()
    {
        if (_pending is not { } row) return;
        _rows.Add(row);
        _writer.WriteLine(Format(row));
        _pending = null;
    }

    private string Format(MetricsRow r)
    {
        static string F(double v, string format) => double.IsNaN(v) ? "" : v.ToString(format, CultureInfo.InvariantCulture);
        var bpc = _bits ? r.ValidationLoss / Math.Log(2) : double.NaN;
        return string.Join(',', r.Step.ToString(CultureInfo.InvariantCulture), F(r.TrainLoss, "R"), F(r.LearningRate, "R"), F(r.GradientNorm, "R"),
            F(r.CharactersPerSecond, "F0"), F(r.ValidationLoss, "R"), F(bpc, "R"), F(r.ValidationAccuracy, "R"));
    }

    private static bool TryParse(string line, out MetricsRow row)
    {
        row = default;
        var f = line.Split(',');
        if (f.Length != 8 || !long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var step)) return false;
        static double D(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
        row = new MetricsRow(step, D(f[1]), D(f[2]), D(f[3]), D(f[4]), D(f[5]), D(f[7]));
        return true;
    }
}
