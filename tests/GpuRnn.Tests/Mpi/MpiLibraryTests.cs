using GpuRnn.Mpi;
using Xunit;

namespace GpuRnn.Tests.Mpi;

/// <summary>Finding the MPI library, the messages when it cannot be used, and the slices of the fixed-order sum; none of these starts MPI.</summary>
public sealed class MpiLibraryTests
{
    [Fact]
    public void ALibraryPathThatDoesNotExistIsNamedInOneLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gpurnn-no-mpi-{Guid.NewGuid():n}", "libmpi.so.40");
        var e = Assert.Throws<MpiUnavailableException>(() => MpiLibrary.Load(path));
        Assert.Equal($"cannot load the MPI library GPURNN_MPI_LIBRARY names, {path}: no such file", e.Message);
    }

    [Fact]
    public void AFileThatIsNotASharedLibraryIsNamedInOneLine()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a shared library");
            var e = Assert.Throws<MpiUnavailableException>(() => MpiLibrary.Load(path));
            Assert.Equal($"cannot load the MPI library GPURNN_MPI_LIBRARY names, {path}: it is not a shared library this process can load", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ALibraryWithoutMpiFunctionsSaysWhichFunctionIsMissing()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("loads libc.so.6 as the library that is not MPI");
        var e = Assert.Throws<MpiUnavailableException>(() => MpiLibrary.Load("libc.so.6"));
        Assert.Equal("libc.so.6 is not an MPI library GpuRnn can use: it does not export MPI_Initialized", e.Message);
    }

    [Fact]
    public void WhenNoDefaultNameLoadsTheMessageNamesEachAndTheVariable()
    {
        var missing = $"libgpurnn-absent-{Guid.NewGuid():n}";
        var e = Assert.Throws<MpiUnavailableException>(() => MpiLibrary.LoadFirst([($"{missing}.so.40", "Open MPI"), ($"{missing}.so.12", "MPICH")]));
        Assert.Equal($"no MPI library found: looked for {missing}.so.40 (Open MPI) and {missing}.so.12 (MPICH) on the library path; " +
            "install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) or MPICH, or set GPURNN_MPI_LIBRARY to the library's path", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheSlicesOfTheFixedOrderSumCoverEveryElementOnceInRankOrder()
    {
        var rng = TestRandom.Create();
        for (var round = 0; round < 200; round++)
        {
            var size = rng.Next(1, 17);
            var length = rng.Next(0, 3) == 0 ? rng.Next(0, size) : rng.Next(0, 10_000);
            var next = 0;
            for (var rank = 0; rank < size; rank++)
            {
                var (start, count) = MpiCommunicator.Slice(length, size, rank);
                Assert.Equal(next, start);
                // Balanced: every slice is the floor or the ceiling of length / size.
                Assert.InRange(count, length / size, (length + size - 1) / size);
                next = start + count;
            }
            Assert.Equal(length, next);
        }
    }

    [Fact]
    public void WithoutALauncherTheProbeRunsAsOneRankWithoutLoadingMpi()
    {
        // A library that does not exist: FromEnvironment must not even look for it.
        var result = MpiJob.RunAlone(["info"], WithoutLauncher(new() { ["GPURNN_MPI_LIBRARY"] = "/nonexistent/libmpi.so.40" }));
        result.AssertSucceeded();
        Assert.Equal("rank 0 of 1: single process", result.Out.Trim());
    }

    [Fact]
    public void AnMpiLibraryThatCannotBeLoadedEndsTheProgramWithOneLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gpurnn-no-mpi-{Guid.NewGuid():n}", "libmpi.so.40");
        var result = MpiJob.RunAlone(["info", "--world"], WithoutLauncher(new() { ["GPURNN_MPI_LIBRARY"] = path }));
        Assert.Equal(4, result.ExitCode);
        Assert.Equal($"mpiprobe: error: cannot load the MPI library GPURNN_MPI_LIBRARY names, {path}: no such file", result.Error.Trim());
    }

    // The test host may itself run under a launcher (a CI step inside mpirun): its variables must not reach the probe.
    private static Dictionary<string, string> WithoutLauncher(Dictionary<string, string> environment)
    {
        foreach (var name in new[] { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK" }) environment[name] = "";
        return environment;
    }
}
