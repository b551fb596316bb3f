using System.Numerics;

namespace GpuRnn.Mpi;

/// <summary>
/// <see cref="ICommunicator"/> on <c>MPI_COMM_WORLD</c> of the system's MPI library. MPI is
/// started once per process, on first use, and finalized by <see cref="Dispose"/> or at process
/// exit; it cannot be started again afterwards. Calls from several threads are serialised.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private const int ThreadSerialized = 2;   // MPI_THREAD_SERIALIZED in both mpi.h files

    private static readonly Lock Gate = new();
    private static MpiCommunicator? _world;
    private static bool _finalized;

    private readonly MpiLibrary _mpi;
    private readonly bool _ownsMpi;
    private readonly int[] _counts, _starts, _fromEach, _fromEachStart;
    private float[] _floatScratch = [];
    private double[] _doubleScratch = [];

    /// <summary>
    /// Whether this process was started by an MPI launcher: Open MPI's <c>mpirun</c>
    /// (<c>OMPI_COMM_WORLD_SIZE</c>), MPICH's Hydra (<c>PMI_SIZE</c>) or a PMIx launcher such
    /// as Slurm's <c>srun --mpi=pmix</c> (<c>PMIX_RANK</c>).
    /// </summary>
    public static bool IsLaunchedByMpi =>
        new[] { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK" }.Any(v => Environment.GetEnvironmentVariable(v) is { Length: > 0 });

    /// <summary>
    /// The communicator for this process: <see cref="World"/> when it was started by an MPI
    /// launcher (<see cref="IsLaunchedByMpi"/>), else <see cref="SingleProcessCommunicator"/>, so
    /// that a program run without <c>mpirun</c> needs no MPI library at all.
    /// </summary>
    /// <exception cref="MpiUnavailableException">Launched by MPI, but the library cannot be loaded.</exception>
    public static ICommunicator FromEnvironment() => IsLaunchedByMpi ? World : SingleProcessCommunicator.Instance;

    /// <summary>
    /// <c>MPI_COMM_WORLD</c>, starting MPI on first use (<c>MPI_Init_thread</c>; outside a
    /// launcher MPI itself decides whether it can run as a single rank).
    /// </summary>
    /// <exception cref="MpiUnavailableException">The library cannot be loaded (see <see cref="LibraryVariable"/>).</exception>
    /// <exception cref="InvalidOperationException">MPI was already finalized in this process.</exception>
    public static MpiCommunicator World
    {
        get
        {
            lock (Gate)
            {
                if (_finalized) throw new InvalidOperationException("MPI was finalized in this process and cannot be started again");
                return _world ??= new MpiCommunicator(MpiLibrary.Load());
            }
        }
    }

    /// <summary>The environment variable naming the MPI library to load (a path or a file name), instead of <c>libmpi.so.40</c> and <c>libmpich.so.12</c>.</summary>
    public static string LibraryVariable => MpiLibrary.PathVariable;

    private MpiCommunicator(MpiLibrary mpi)
    {
        _mpi = mpi;
        int started, rank, size, provided;
        Check(_mpi.Initialized(&started), "MPI_Initialized");
        _ownsMpi = started == 0;
        if (_ownsMpi)
        {
            Check(_mpi.InitThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
        }
        Check(_mpi.CommRank(_mpi.CommWorld, &rank), "MPI_Comm_rank");
        Check(_mpi.CommSize(_mpi.CommWorld, &size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
        (_counts, _starts, _fromEach, _fromEachStart) = (new int[size], new int[size], new int[size], new int[size]);
        Description = $"{_mpi.Version()} ({_mpi.Name}), {size} rank{(size == 1 ? "" : "s")}";
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public void SumInPlace(Span<float> values)
    {
        lock (Gate) FixedOrderSum(values, _mpi.Float, ref _floatScratch);
    }

    /// <inheritdoc/>
    public void SumInPlace(Span<double> values)
    {
        lock (Gate) FixedOrderSum(values, _mpi.Double, ref _doubleScratch);
    }

    /// <summary>
    /// The plain <c>MPI_Allreduce</c> with <c>MPI_SUM</c>, for comparison: faster, but the order
    /// of its additions (and so the bits of its result) depends on the algorithm MPI picks for
    /// the rank count and message size. Training uses <see cref="SumInPlace(Span{float})"/>.
    /// </summary>
    public void AllreduceSumInPlace(Span<float> values)
    {
        lock (Gate)
        {
            ThrowIfFinalized();
            fixed (float* p = values) Check(_mpi.Allreduce((void*)_mpi.InPlace, p, values.Length, _mpi.Float, _mpi.Sum, _mpi.CommWorld), "MPI_Allreduce");
        }
    }

    /// <inheritdoc/>
    public void Broadcast<T>(Span<T> values, int root = 0) where T : unmanaged
    {
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"the root of a broadcast must be a rank in [0, {Size})");
        lock (Gate)
        {
            ThrowIfFinalized();
            fixed (T* p = values) Check(_mpi.Bcast(p, ByteCount<T>(values.Length), _mpi.Byte, root, _mpi.CommWorld), "MPI_Bcast");
        }
    }

    /// <inheritdoc/>
    public void Allgather<T>(ReadOnlySpan<T> mine, Span<T> all) where T : unmanaged
    {
        if (all.Length != (long)Size * mine.Length)
            throw new ArgumentException($"Allgather's result holds {all.Length} values; expected Size * N = {Size} * {mine.Length}", nameof(all));
        lock (Gate)
        {
            ThrowIfFinalized();
            var bytes = ByteCount<T>(mine.Length);
            fixed (T* send = mine)
            fixed (T* receive = all)
                Check(_mpi.Allgather(send, bytes, _mpi.Byte, receive, bytes, _mpi.Byte, _mpi.CommWorld), "MPI_Allgather");
        }
    }

    /// <inheritdoc/>
    public void Barrier()
    {
        lock (Gate)
        {
            ThrowIfFinalized();
            Check(_mpi.Barrier(_mpi.CommWorld), "MPI_Barrier");
        }
    }

    /// <summary>
    /// Ends every rank of the job with <paramref name="exitCode"/> (<c>MPI_Abort</c>): what a rank
    /// that fails alone calls, so that the others, which may be waiting for it in a collective, do
    /// not wait forever. The launcher reports the rank and the code; this call does not return.
    /// </summary>
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        _mpi.Abort(_mpi.CommWorld, exitCode);
        Environment.Exit(exitCode);   // if MPI returned anyway
    }

    /// <summary>
    /// This process's rank and the job's size as the launcher's environment gives them, before MPI
    /// starts (<c>OMPI_COMM_WORLD_RANK</c>/<c>_SIZE</c>, <c>PMI_RANK</c>/<c>PMI_SIZE</c>, <c>PMIX_RANK</c>);
    /// a size the environment does not give is 0; (0, 1) outside a launcher.
    /// </summary>
    public static (int Rank, int Size) FromLauncher()
    {
        if (!IsLaunchedByMpi) return (0, 1);
        static int? Read(params string[] names) => names.Select(Environment.GetEnvironmentVariable)
            .Select(v => int.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : (int?)null)
            .FirstOrDefault(n => n is not null);
        return (Read("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK") ?? 0, Read("OMPI_COMM_WORLD_SIZE", "PMI_SIZE") ?? 0);
    }

    /// <summary>Finalizes MPI (once, and only if this process started it); later calls throw.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_finalized) return;
            _finalized = true;
            int done;
            if (_ownsMpi && _mpi.Finalized(&done) == 0 && done == 0) _mpi.Finalize();
        }
    }

    /// <summary>
    /// The slice of <c>[0, length)</c> that rank <paramref name="rank"/> of <paramref name="size"/>
    /// owns in the fixed-order sum: consecutive slices, the first <c>length % size</c> ranks one
    /// element longer.
    /// </summary>
    internal static (int Start, int Count) Slice(int length, int size, int rank)
    {
        int q = length / size, r = length % size;
        return (rank * q + Math.Min(rank, r), q + (rank < r ? 1 : 0));
    }

    // MPI_Alltoallv sends rank r's slice of every rank's values to rank r, which adds the ranks'
    // copies in rank order 0..P-1; MPI_Allgatherv puts every owner's sums back into place. Both
    // only move data, so the bits of the result do not depend on how MPI routes it.
    private void FixedOrderSum<T>(Span<T> values, nint type, ref T[] scratch) where T : unmanaged, IAdditionOperators<T, T, T>
    {
        ThrowIfFinalized();
        if (Size == 1) return;
        if (Size == 2)
        {
            // Two ranks' sum is one addition per element, and v0 + v1 has the bits of v1 + v0, so
            // whichever algorithm MPI_Allreduce picks gives the rank-order sum, at a third of the
            // cost of the exchange below (bench/RESULTS.md, "MPI").
            fixed (T* p = values) Check(_mpi.Allreduce((void*)_mpi.InPlace, p, values.Length, type, _mpi.Sum, _mpi.CommWorld), "MPI_Allreduce");
            return;
        }
        for (var r = 0; r < Size; r++) (_starts[r], _counts[r]) = Slice(values.Length, Size, r);
        var mine = _counts[Rank];
        if ((long)Size * mine > Array.MaxLength) throw new ArgumentException($"{values.Length} values are too many for one sum over {Size} ranks", nameof(values));
        for (var q = 0; q < Size; q++) (_fromEach[q], _fromEachStart[q]) = (mine, q * mine);
        if (scratch.Length < Size * mine) scratch = new T[Size * mine];
        fixed (T* p = values)
        fixed (T* received = scratch)
        fixed (int* counts = _counts, starts = _starts, fromEach = _fromEach, fromEachStart = _fromEachStart)
        {
            Check(_mpi.Alltoallv(p, counts, starts, type, received, fromEach, fromEachStart, type, _mpi.CommWorld), "MPI_Alltoallv");
            var sums = new Span<T>(received, mine);   // rank 0's copy, then += rank 1's, ...
            for (var q = 1; q < Size; q++)
            {
                var next = new ReadOnlySpan<T>(received + q * mine, mine);
                for (var i = 0; i < mine; i++) sums[i] += next[i];
            }
            Check(_mpi.Allgatherv(received, mine, type, p, counts, starts, type, _mpi.CommWorld), "MPI_Allgatherv");
        }
    }

    private static int ByteCount<T>(int length) where T : unmanaged =>
        (long)length * sizeof(T) <= int.MaxValue ? length * sizeof(T) : throw new ArgumentException($"{length} values of {sizeof(T)} bytes exceed MPI's count of {int.MaxValue} bytes in one call");

    private void ThrowIfFinalized()
    {
        if (_finalized) throw new InvalidOperationException("MPI was finalized in this process; no collective can run after Dispose");
    }

    private void Check(int code, string function)
    {
        if (code != 0) throw new InvalidOperationException($"{function} failed on rank {Rank}: {_mpi.Describe(code)}");
    }
}
