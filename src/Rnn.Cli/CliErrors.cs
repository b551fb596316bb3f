namespace GpuRnn.Cli;

/// <summary>The exit codes of <c>gpurnn</c>.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected failure (a bug, or something not written yet).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown command or option, missing or invalid option value, or an output that is one of the inputs (or another output).</summary>
    public const int Usage = 2;

    /// <summary>A file is missing, unreadable or malformed, or its contents do not fit the model, or an output is locked by another run.</summary>
    public const int BadInput = 3;

    /// <summary>The backend asked for does not exist or cannot run on this machine.</summary>
    public const int BackendUnavailable = 4;

    /// <summary>Training stopped because the loss or the gradient became NaN or infinite.</summary>
    public const int Diverged = 5;

    /// <summary>Interrupted by Ctrl-C or SIGTERM after saving what was needed to continue (128 + SIGINT, the shell's convention).</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure a command detected itself, with the exit code it maps to.</summary>
/// <param name="message">One line saying what is wrong, naming the expected and the actual value.</param>
/// <param name="exitCode">One of <see cref="ExitCodes"/>.</param>
public sealed class CliException(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    /// <summary>The process exit code for this failure.</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Turns exceptions into the CLI's one-line errors (<c>gpurnn: error: ...</c>) and exit codes,
/// so no command ever prints a stack trace. Set GPURNN_DEBUG=1 to also print the trace of
/// unexpected failures.
/// </summary>
public static class CliErrors
{
    /// <summary>Runs <paramref name="body"/> and maps any exception it throws to a one-line error and exit code.</summary>
    public static int Guard(CliConsole console, Func<int> body)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return body();
        }
        catch (Exception e)
        {
            var (message, code) = Describe(e);
            Report(console, message, code);
            if (code == ExitCodes.Failure && Environment.GetEnvironmentVariable("GPURNN_DEBUG") == "1")
                console.Error.WriteLine(e.ToString());
            return code;
        }
    }

    /// <summary>Writes <c>gpurnn: error: message</c> on one line and returns <paramref name="exitCode"/>.</summary>
    public static int Report(CliConsole console, string message, int exitCode)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.Error.WriteLine("gpurnn: error: " + OneLine(message));
        return exitCode;
    }

    /// <summary>The one-line message and exit code for an exception.</summary>
    public static (string Message, int ExitCode) Describe(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e is AggregateException { InnerExceptions.Count: 1 } aggregate) e = aggregate.InnerExceptions[0];
        return e switch
        {
            CliException c => (c.Message, c.ExitCode),
            BackendUnavailableException => (e.Message, ExitCodes.BackendUnavailable),
            BackendNameException => (e.Message, ExitCodes.Usage),   // cuda:x, cpu:1: wrong on any machine
            FileNotFoundException or DirectoryNotFoundException => (e.Message, ExitCodes.BadInput),
            InvalidDataException => (e.Message, ExitCodes.BadInput),
            UnauthorizedAccessException => ($"access denied: {e.Message}", ExitCodes.BadInput),
            EndOfStreamException => ($"unexpected end of file: {e.Message}", ExitCodes.BadInput),
            IOException => ($"I/O error: {e.Message}", ExitCodes.BadInput),
            ArgumentException a => (WithoutParameterName(a), ExitCodes.BadInput),
            NotImplementedException => ($"not implemented yet: {e.Message}", ExitCodes.Failure),
            // A backend or the ONNX exporter refusing a cell option (layer norm, zoneout, cell clip) it cannot run or write.
            NotSupportedException => (e.Message, ExitCodes.BadInput),
            OutOfMemoryException => ($"out of memory: {e.Message}", ExitCodes.Failure),
            _ => ($"unexpected {e.GetType().Name}: {e.Message} (set GPURNN_DEBUG=1 for details)", ExitCodes.Failure),
        };
    }

    // ArgumentException appends " (Parameter 'name')", which means nothing to a CLI user.
    private static string WithoutParameterName(ArgumentException e)
    {
        var message = e.Message;
        var suffix = e.ParamName is null ? null : $" (Parameter '{e.ParamName}')";
        return suffix is not null && message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
