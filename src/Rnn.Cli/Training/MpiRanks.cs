using GpuRnn.Cli.Commands;
using GpuRnn.Mpi;

namespace GpuRnn.Cli.Training;

/// <summary>
/// <c>gpurnn train</c> and <c>eval</c> under an MPI launcher (<c>mpirun -np N gpurnn train ...</c>):
/// every rank runs the same command; train takes its share of the global <c>--batch</c>, eval of
/// the character model its part of the streams. Rank 0 prints and writes the run folder as one
/// process would; the other ranks print nothing and keep the files train writes beside the
/// checkpoint (metrics, plot) in a private temporary folder that is removed at the end (the
/// trainer writes checkpoints on rank 0 alone). Outside a launcher nothing changes.
/// </summary>
internal static class MpiRanks
{
    private static MpiCommunicator? _world;
    private static TextWriter _output = TextWriter.Null;   // rank 0's

    // How long a failing rank other than 0 waits for rank 0 to report (and end the job) first.
    private static readonly TimeSpan ReportGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Runs <paramref name="body"/> (the train command) as this rank, with MPI started first (see
    /// <see cref="Run(CliConsole, Func{CliConsole, int})"/>); on ranks other than 0 the run folder
    /// is a private temporary one, removed at the end.
    /// </summary>
    public static int Run(CliConsole console, TrainRequest request, Func<CliConsole, TrainRequest, int> body)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Run(console, rankConsole =>
        {
            if (_world is not { Rank: > 0 } world) return body(rankConsole, request);
            var scratch = Path.Combine(Path.GetTempPath(), $"gpurnn-rank{world.Rank}-{Environment.ProcessId}");
            try
            {
                return body(rankConsole, request with { Out = Path.Combine(scratch, Path.GetFileName(request.Out ?? request.Resume ?? "model.safetensors")) });
            }
            finally
            {
                // Here, not after Run: a failure ends the job with MPI_Abort, after this has run.
                if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
            }
        });
    }

    /// <summary>
    /// Runs <paramref name="body"/> (a command) as this rank, with MPI started first; ranks other than
    /// 0 get a console whose output goes nowhere. A failure on any rank ends the whole job
    /// (<c>MPI_Abort</c>, with the failure's exit code) rather than leave the other ranks waiting for
    /// it in a collective. Rank 0 reports its failure at once; another rank first gives rank 0 a
    /// moment to report the same failure (most failures, such as an option or a batch refused, are
    /// every rank's alike) and reports its own, naming the rank, only if the job is still running then.
    /// Outside a launcher, or in a job of one rank, it is <paramref name="body"/> alone.
    /// </summary>
    public static int Run(CliConsole console, Func<CliConsole, int> body)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(body);
        if (!MpiCommunicator.IsLaunchedByMpi) return body(console);
        try
        {
            _world = MpiCommunicator.World;
        }
        catch (MpiUnavailableException e)
        {
            // Every rank loads the same library: each exits alike (before MPI started, nothing waits for it).
            if (MpiCommunicator.FromLauncher().Rank == 0) throw new CliException(e.Message, ExitCodes.BackendUnavailable);
            return ExitCodes.BackendUnavailable;
        }
        if (_world.Size == 1) return body(console);
        var rank = _world.Rank;
        if (rank != 0) console = console with { Out = TextWriter.Null };
        _output = console.Out;
        try
        {
            return body(console);
        }
        catch (Exception e)
        {
            var (message, code) = CliErrors.Describe(e);
            if (rank != 0) Thread.Sleep(ReportGrace);
            CliErrors.Report(console, rank == 0 ? message : $"rank {rank}: {message}", code);
            _world.Abort(code);
            return code;
        }
    }

    /// <summary>The job's ranks under a launcher (once <see cref="Run(CliConsole, Func{CliConsole, int})"/> started MPI), else this process alone.</summary>
    public static ICommunicator Communicator => _world is { Size: > 1 } world ? world : SingleProcessCommunicator.Instance;

    /// <summary>
    /// The ranks a trainer of global batch <paramref name="batch"/> runs on: the MPI job under a
    /// launcher, else this process alone.
    /// </summary>
    /// <exception cref="CliException">The batch does not divide by the ranks (usage).</exception>
    public static ICommunicator ForBatch(int batch)
    {
        if (_world is not { Size: > 1 } world) return SingleProcessCommunicator.Instance;
        CheckBatch(batch, world.Size);
        _output.WriteLine($"ranks: {world.Description}; each trains on {batch / world.Size} of the global batch of {batch}");
        return world;
    }

    private static void CheckBatch(int batch, int size)
    {
        if (batch % size != 0)
            throw new CliException(
                $"--batch {batch} does not divide by the {size} ranks of this MPI job; expected a multiple of {size} (--batch is the global batch, each rank takes batch / {size})",
                ExitCodes.Usage);
    }
}
