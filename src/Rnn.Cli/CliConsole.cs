namespace GpuRnn.Cli;

/// <summary>Where a command writes: results to <paramref name="Out"/>, errors to <paramref name="Error"/>.</summary>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
public sealed record CliConsole(TextWriter Out, TextWriter Error)
{
    /// <summary>Standard input (what <c>gpurnn predict</c> reads without <c>--input</c>).</summary>
    public TextReader In { get; init; } = TextReader.Null;
}
