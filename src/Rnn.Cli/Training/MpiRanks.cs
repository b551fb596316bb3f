using GpuRnn.Cli.Commands;
using GpuRnn.Mpi;

namespace GpuRnn.Cli.Training;

/// <summary>
/// <c>gpurnn train</c> under an MPI launcher (<c>mpirun -np N gpurnn train ...</c>): every rank runs
/// the same command on its share of the global <c>--batch</c>. Rank 0 prints and writes the run
/// folder as one process would; the other ranks print nothing and keep the files the command
/// writes beside the checkpoint (metrics, plot) in a private temporary folder that is removed at
/// the end (the trainer writes checkpoints on rank 0 alone). Outside a launcher nothing changes.
/// </summary>
internal static class MpiRanks
{
    private static ICommunicator? _world;
    private static TextWriter _output = TextWriter.Null;   // rank 0's

    /// <summary>
    /// Runs <paramref name="body"/> (the train command) as this rank. A failure before MPI starts,
    /// or the batch refused by <see cref="ForBatch"/>, is the same on every rank: rank 0 alone reports
    /// it and every rank exits with its code. Any other failure after MPI started may be this rank's
    /// alone, so it reports it (naming the rank) and ends the whole job (<c>MPI_Abort</c>) rather than
    /// leave the others waiting for it.
    /// </summary>
    public static int Run(CliConsole console, TrainRequest request, Func<CliConsole, TrainRequest, int> body)
    {
        var (rank, _) = MpiCommunicator.FromLauncher();
        if (!MpiCommunicator.IsLaunchedByMpi) return body(console, request);
        string? scratch = null;
        if (rank != 0)
        {
            scratch = Path.Combine(Path.GetTempPath(), $"gpurnn-rank{rank}-{Environment.ProcessId}");
            var name = Path.GetFileName(request.Out ?? request.Resume ?? "model.safetensors");
            request = request with { Out = Path.Combine(scratch, name) };
            console = console with { Out = TextWriter.Null };
        }
        _output = console.Out;
        try
        {
            return body(console, request);
        }
        catch (SameOnEveryRankException e)
        {
            if (rank == 0) throw e.Refusal;
            return e.Refusal.ExitCode;
        }
        catch (Exception e) when (_world is null || _world.Size == 1)
        {
            if (rank == 0) throw;
            return CliErrors.Describe(e).ExitCode;
        }
        catch (Exception e)
        {
            var (message, code) = CliErrors.Describe(e);
            CliErrors.Report(console, rank == 0 ? message : $"rank {rank}: {message}", code);
            ((MpiCommunicator)_world!).Abort(code);
            return code;
        }
        finally
        {
            if (scratch is not null && Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// The ranks a trainer of global batch <paramref name="batch"/> runs on: the MPI job under a
    /// launcher (started here), else this process alone.
    /// </summary>
    /// <exception cref="CliException">The batch does not divide by the ranks (usage), or MPI cannot be loaded.</exception>
    public static ICommunicator ForBatch(int batch)
    {
        if (!MpiCommunicator.IsLaunchedByMpi) return SingleProcessCommunicator.Instance;
        var size = MpiCommunicator.FromLauncher().Size;
        if (size > 0) CheckBatch(batch, size);
        try
        {
            _world ??= MpiCommunicator.World;
        }
        catch (MpiUnavailableException e)
        {
            throw new SameOnEveryRankException(new CliException(e.Message, ExitCodes.BackendUnavailable));
        }
        CheckBatch(batch, _world.Size);
        _output.WriteLine($"ranks: {_world.Description}; each trains on {batch / _world.Size} of the global batch of {batch}");
        return _world;
    }

    private static void CheckBatch(int batch, int size)
    {
        if (batch % size != 0)
            throw new SameOnEveryRankException(new CliException(
                $"--batch {batch} does not divide by the {size} ranks of this MPI job; expected a multiple of {size} (--batch is the global batch, each rank takes batch / {size})",
                ExitCodes.Usage));
    }

    /// <summary>A failure every rank meets alike: reported once, by rank 0.</summary>
    private sealed class SameOnEveryRankException(CliException refusal) : Exception(refusal.Message, refusal)
    {
        public CliException Refusal { get; } = refusal;
    }
}
