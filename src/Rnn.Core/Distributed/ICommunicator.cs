namespace GpuRnn.Distributed;

/// <summary>
/// The collectives that data-parallel training needs between the processes (ranks) of one job:
/// every rank calls the same operations in the same order with the same lengths. A rank that
/// calls a collective the others never call waits for them, so the callers keep their control
/// flow identical (decisions that could differ between ranks are made collectively).
/// </summary>
/// <remarks>
/// <see cref="SingleProcessCommunicator"/> is the one-process case (every operation exact and
/// local); GpuRnn.Mpi implements it on the system's MPI library under <c>mpirun</c>.
/// </remarks>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index in the job, in [0, <see cref="Size"/>).</summary>
    int Rank { get; }

    /// <summary>The number of processes in the job (1 when not launched by an MPI launcher).</summary>
    int Size { get; }

    /// <summary>What carries the collectives, e.g. <c>single process</c> or <c>Open MPI (libmpi.so.40), 3 ranks</c>.</summary>
    string Description { get; }

    /// <summary>
    /// Replaces <paramref name="values"/> <c>[N]</c> on every rank by the element-wise sum over
    /// the ranks, added in rank order: <c>((v0 + v1) + v2) + ...</c>, rounded to float after each
    /// addition. The result is the same bits on every rank and for every transport algorithm, so
    /// ranks that apply it stay identical. Every rank passes the same <c>N</c>.
    /// </summary>
    void SumInPlace(Span<float> values);

    /// <inheritdoc cref="SumInPlace(Span{float})"/>
    void SumInPlace(Span<double> values);

    /// <summary>Copies <paramref name="values"/> <c>[N]</c> of rank <paramref name="root"/> into every rank's <paramref name="values"/>; every rank passes the same <c>N</c>.</summary>
    void Broadcast<T>(Span<T> values, int root = 0) where T : unmanaged;

    /// <summary>
    /// Gathers every rank's <paramref name="mine"/> <c>[N]</c> into <paramref name="all"/>
    /// <c>[Size * N]</c> on every rank, rank r's values at <c>[r * N, (r + 1) * N)</c> (for small
    /// arrays such as weight checksums); every rank passes the same <c>N</c>.
    /// </summary>
    void Allgather<T>(ReadOnlySpan<T> mine, Span<T> all) where T : unmanaged;

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();
}
