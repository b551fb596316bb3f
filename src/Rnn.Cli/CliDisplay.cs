using Spectre.Console;

namespace GpuRnn.Cli;

/// <summary>
/// Spectre.Console on the command's output: live progress and colour on a terminal, plain text
/// when the output is redirected or captured (CI logs, tests).
/// </summary>
public static class CliDisplay
{
    /// <summary>Whether the output is an interactive terminal.</summary>
    public static bool IsInteractive(CliConsole console) =>
        ReferenceEquals(console.Out, Console.Out) && !Console.IsOutputRedirected;

    /// <summary>A Spectre console writing to the command's output.</summary>
    public static IAnsiConsole For(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var interactive = IsInteractive(console);
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(console.Out),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        // Logs have no terminal width; keep tables on one line each.
        if (!interactive) ansi.Profile.Width = 160;
        return ansi;
    }
}
