using System.CommandLine;

namespace GpuRnn.Cli;

/// <summary>The <c>gpurnn</c> entry point: one subcommand per job.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command; returns the exit code.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("gpurnn: train and run RNN, LSTM and GRU models on GPUs (ILGPU) or the CPU");
        return root.Parse(args).Invoke();
    }
}
