using System.Globalization;
using Spectre.Console;

namespace GpuRnn.Cli.Training;

/// <summary>Shows training progress: a live bar on a terminal, periodic plain lines otherwise.</summary>
public interface IProgressDisplay
{
    /// <summary>After every step: step, loss, characters per second and the time left.</summary>
    void Update(in StepReport report, double charactersPerSecond, TimeSpan remaining);

    /// <summary>A line of its own (a validation result, a checkpoint), printed above a live bar.</summary>
    void WriteLine(string line);
}

/// <summary>Formatting shared by both displays.</summary>
public static class ProgressText
{
    /// <summary>e.g. <c>step 120/800  loss 1.2345  14,210 chars/s  ETA 1m05s</c> (the unit is what a step's count counts).</summary>
    public static string Describe(in StepReport r, double charactersPerSecond, TimeSpan remaining, string unit = "chars") =>
        string.Create(CultureInfo.InvariantCulture,
            $"step {r.Step}/{r.TotalSteps}  loss {r.Loss:F4}  {charactersPerSecond:N0} {unit}/s  ETA {Duration(remaining)}");

    /// <summary>A duration as <c>2m05s</c> or <c>41s</c>.</summary>
    public static string Duration(TimeSpan t) =>
        t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{Math.Max(0, (int)Math.Round(t.TotalSeconds))}s";
}

/// <summary>Plain lines about twenty times per run, for logs, pipes and tests.</summary>
/// <param name="output">Where lines go.</param>
/// <param name="totalSteps">The last step, which sets the interval.</param>
/// <param name="unit">What the throughput counts (<c>chars</c>, <c>sequences</c>, <c>tokens</c>).</param>
public sealed class LineProgress(TextWriter output, long totalSteps, string unit = "chars") : IProgressDisplay
{
    private readonly long _every = Math.Max(1, totalSteps / 20);

    /// <inheritdoc/>
    public void Update(in StepReport report, double charactersPerSecond, TimeSpan remaining)
    {
        if (report.Step % _every == 0 || report.Step == report.TotalSteps)
            output.WriteLine(ProgressText.Describe(report, charactersPerSecond, remaining, unit));
    }

    /// <inheritdoc/>
    public void WriteLine(string line) => output.WriteLine(line);
}

/// <summary>A Spectre.Console progress bar that redraws in place, with other lines printed above it.</summary>
/// <param name="console">The terminal.</param>
/// <param name="task">The bar's task, valued in steps.</param>
/// <param name="unit">What the throughput counts.</param>
public sealed class LiveProgress(IAnsiConsole console, ProgressTask task, string unit = "chars") : IProgressDisplay
{
    /// <summary>Runs <paramref name="body"/> while a live bar for steps up to <paramref name="totalSteps"/> is shown.</summary>
    public static T Show<T>(IAnsiConsole console, long startStep, long totalSteps, Func<IProgressDisplay, T> body, string unit = "chars")
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(body);
        T result = default!;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape($"step {startStep}/{totalSteps}"), maxValue: totalSteps);
                task.Value = startStep;
                result = body(new LiveProgress(console, task, unit));
            });
        return result;
    }

    /// <inheritdoc/>
    public void Update(in StepReport report, double charactersPerSecond, TimeSpan remaining)
    {
        task.Description = Markup.Escape(ProgressText.Describe(report, charactersPerSecond, remaining, unit));
        task.Value = report.Step;
    }

    /// <inheritdoc/>
    public void WriteLine(string line) => console.WriteLine(line);
}
