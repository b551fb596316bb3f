using GpuRnn.Cli;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>Runs <c>gpurnn</c> in-process and captures what it prints.</summary>
public static class Gpurnn
{
    /// <summary>What one run returned and printed.</summary>
    public sealed record Result(int ExitCode, string Out, string Error)
    {
        /// <summary>Asserts the run failed with <paramref name="exitCode"/> and printed exactly one error line; returns that line.</summary>
        public string AssertFailed(int exitCode)
        {
            Assert.True(ExitCode == exitCode, $"expected exit code {exitCode} but got {ExitCode}; stderr: {Error}; stdout: {Out}");
            var lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1, $"expected one line on stderr but got {lines.Length}: {Error}");
            Assert.StartsWith("gpurnn: error: ", lines[0]);
            Assert.DoesNotContain("   at ", Error);
            return lines[0].TrimEnd('\r');
        }

        /// <summary>Asserts the run succeeded with nothing on stderr.</summary>
        public void AssertSucceeded()
        {
            Assert.True(ExitCode == ExitCodes.Ok, $"exit code {ExitCode}; stderr: {Error}; stdout: {Out}");
            Assert.Equal("", Error);
        }
    }

    /// <summary>Runs <c>gpurnn args...</c>.</summary>
    public static Result Run(params string[] args) => RunWithInput(null, args);

    /// <summary>Runs <c>gpurnn args...</c> with <paramref name="stdin"/> as its standard input.</summary>
    public static Result RunWithInput(string? stdin, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var input = new StringReader(stdin ?? "");
        var code = Program.Run(args, stdout, stderr, stdin is null ? null : input);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }
}
