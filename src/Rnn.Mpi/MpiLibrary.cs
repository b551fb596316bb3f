using System.Runtime.InteropServices;

namespace GpuRnn.Mpi;

/// <summary>The system's MPI library cannot be found or is not one GpuRnn can use; the message is one line naming what was looked for.</summary>
public sealed class MpiUnavailableException(string message) : Exception(message);

/// <summary>
/// The few MPI functions and handles GpuRnn calls, bound at run time from the system's library
/// (no native file is shipped). The two C ABIs differ only in their handles: Open MPI's
/// <c>MPI_Comm</c>, <c>MPI_Datatype</c> and <c>MPI_Op</c> are pointers to exported globals
/// (<c>ompi_mpi_comm_world</c>, ...), MPICH's (and Intel MPI's and MVAPICH's, which share its
/// ABI) are <c>int</c> constants from its <c>mpi.h</c>. Every handle is carried as a
/// <see cref="nint"/>: on LP64 Linux (x86-64, AArch64) an <c>int</c> argument occupies a whole
/// register or 8-byte stack slot and the callee reads its low 32 bits, which a non-negative
/// <c>nint</c> holds exactly, so one set of signatures serves both ABIs.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>The environment variable that names the library to load instead of the default names.</summary>
    public const string PathVariable = "GPURNN_MPI_LIBRARY";

    private const string OpenMpiName = "libmpi.so.40", MpichName = "libmpich.so.12";

    /// <summary>The name or path that was loaded, e.g. <c>libmpi.so.40</c>.</summary>
    public string Name { get; }

    /// <summary>True for Open MPI's ABI (pointer handles), false for MPICH's (integer handles).</summary>
    public bool IsOpenMpi { get; }

    /// <summary>Handles: <c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_DOUBLE</c>, <c>MPI_BYTE</c>, <c>MPI_SUM</c>, <c>MPI_IN_PLACE</c>.</summary>
    public readonly nint CommWorld, Float, Double, Byte, Sum, InPlace;

    // int MPI_*(...) as in mpi.h; handles as nint (see the class comment).
    public readonly delegate* unmanaged<int*, int> Initialized, Finalized;
    public readonly delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int*, int> CommRank, CommSize;
    public readonly delegate* unmanaged<nint, int> Barrier;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Allgather;
    public readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> Allgatherv;
    public readonly delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, int> Alltoallv;
    public readonly delegate* unmanaged<int, byte*, int*, int> ErrorString;
    public readonly delegate* unmanaged<byte*, int*, int> GetLibraryVersion;

    private readonly nint _handle;

    private MpiLibrary(string name, nint handle)
    {
        Name = name;
        _handle = handle;
        Initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        Finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        Barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
        Abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export("MPI_Bcast");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        Allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Export("MPI_Allgather");
        Allgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)Export("MPI_Allgatherv");
        Alltoallv = (delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, int>)Export("MPI_Alltoallv");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Export("MPI_Error_string");
        GetLibraryVersion = (delegate* unmanaged<byte*, int*, int>)Export("MPI_Get_library_version");

        IsOpenMpi = NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out var commWorld);
        if (IsOpenMpi)
        {
            (CommWorld, Float, Double, Byte, Sum, InPlace) = (commWorld,
                Export("ompi_mpi_float"), Export("ompi_mpi_double"), Export("ompi_mpi_byte"), Export("ompi_mpi_op_sum"), 1);
        }
        else
        {
            // MPICH's mpi.h: MPI_COMM_WORLD, MPI_FLOAT, MPI_DOUBLE, MPI_BYTE, MPI_SUM; MPI_IN_PLACE is (void *) -1.
            (CommWorld, Float, Double, Byte, Sum, InPlace) = (0x44000000, 0x4c00040a, 0x4c00080b, 0x4c00010d, 0x58000003, -1);
        }
    }

    /// <summary>
    /// Loads the library that <see cref="PathVariable"/> names, else the one that matches the
    /// launcher (MPICH's Hydra sets <c>PMI_RANK</c>, Open MPI's mpirun <c>OMPI_COMM_WORLD_SIZE</c>),
    /// else <c>libmpi.so.40</c> (Open MPI), then <c>libmpich.so.12</c> (MPICH).
    /// </summary>
    /// <exception cref="MpiUnavailableException">None can be loaded, or what was loaded lacks an MPI function.</exception>
    public static MpiLibrary Load() => Load(Environment.GetEnvironmentVariable(PathVariable));

    /// <summary>Loads <paramref name="path"/> when it is given (not null or empty), else the default names as <see cref="Load()"/> does.</summary>
    public static MpiLibrary Load(string? path)
    {
        if (!string.IsNullOrEmpty(path))
        {
            if (!NativeLibrary.TryLoad(path, out var named))
            {
                var why = File.Exists(path) ? "it is not a shared library this process can load" : "no such file";
                throw new MpiUnavailableException($"cannot load the MPI library {PathVariable} names, {path}: {why}");
            }
            return Bind(path, named);
        }
        return Environment.GetEnvironmentVariable("PMI_RANK") is not null && Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is null
            ? LoadFirst([(MpichName, "MPICH"), (OpenMpiName, "Open MPI")])
            : LoadFirst([(OpenMpiName, "Open MPI"), (MpichName, "MPICH")]);
    }

    /// <summary>The first of <paramref name="names"/> (file name, what it is) that loads.</summary>
    internal static MpiLibrary LoadFirst(IReadOnlyList<(string File, string Kind)> names)
    {
        foreach (var (file, _) in names)
        {
            if (NativeLibrary.TryLoad(file, out var handle)) return Bind(file, handle);
        }
        throw new MpiUnavailableException($"no MPI library found: looked for {string.Join(" and ", names.Select(n => $"{n.File} ({n.Kind})"))} on the library path; " +
            $"install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) or MPICH, or set {PathVariable} to the library's path");
    }

    private static MpiLibrary Bind(string name, nint handle)
    {
        try
        {
            return new MpiLibrary(name, handle);
        }
        catch (EntryPointNotFoundException e)
        {
            NativeLibrary.Free(handle);
            throw new MpiUnavailableException($"{name} is not an MPI library GpuRnn can use: it does not export {e.Message}");
        }
    }

    private nint Export(string symbol) =>
        NativeLibrary.TryGetExport(_handle, symbol, out var address) ? address : throw new EntryPointNotFoundException(symbol);

    /// <summary>The library's own words for an MPI error code.</summary>
    public string Describe(int code)
    {
        var text = stackalloc byte[1024];   // MPI_MAX_ERROR_STRING: 256 (Open MPI), 512 (MPICH)
        var length = 0;
        return ErrorString(code, text, &length) == 0 ? new string((sbyte*)text, 0, length).Trim() : $"MPI error {code}";
    }

    /// <summary>The library's name and version from <c>MPI_Get_library_version</c>, e.g. <c>Open MPI v4.1.4</c> or <c>MPICH 4.0.2</c>.</summary>
    public string Version()
    {
        var text = new byte[8192];   // MPI_MAX_LIBRARY_VERSION_STRING: 256 (Open MPI), 8192 (MPICH)
        var length = 0;
        fixed (byte* p = text)
        {
            if (GetLibraryVersion(p, &length) != 0) return Name;
        }
        var version = System.Text.Encoding.UTF8.GetString(text, 0, Math.Clamp(length, 0, text.Length)).TrimEnd('\0');
        // "Open MPI v4.1.4, package: ..." and "MPICH Version:\t4.0.2\nMPICH Release date: ...".
        var first = version.Split('\n', 2)[0].Split(',', 2)[0].Replace("Version:", "");
        return string.Join(' ', first.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }
}
