using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Mpi;

/// <summary>
/// GpuRnn.Mpi's collectives in real MPI jobs of 2 and 3 ranks on loopback, under Open MPI and
/// MPICH (each skips with its reason when its launcher is absent). Inputs are fresh random
/// values whose magnitudes span 2^-20..2^20, so that adding them in another order gives other
/// bits (checked): only the rank order 0..P-1 reproduces the serial sum exactly.
/// </summary>
public sealed class MpiCollectiveTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string, int> LaunchersAndRanks => new() { { "openmpi", 2 }, { "openmpi", 3 }, { "mpich", 2 }, { "mpich", 3 } };

    [Theory]
    [MemberData(nameof(LaunchersAndRanks))]
    public void TheFixedOrderSumOfFloatsIsTheSerialRankOrderSumBitForBit(string launcher, int ranks) =>
        CheckFloatSums(MpiJob.Run(MpiLauncher.Get(launcher), ranks, ["sum", _folder.Path, "float", WriteInputs(ranks, Floats).ToString(CultureInfo.InvariantCulture)]), ranks);

    [Theory]
    [MemberData(nameof(LaunchersAndRanks))]
    public void TheFixedOrderSumOfDoublesIsTheSerialRankOrderSumBitForBit(string launcher, int ranks)
    {
        var sets = WriteInputs(ranks, Doubles);
        MpiJob.Run(MpiLauncher.Get(launcher), ranks, ["sum", _folder.Path, "double", sets.ToString(CultureInfo.InvariantCulture)]).AssertSucceeded();
        for (var k = 0; k < sets; k++)
        {
            var inputs = Enumerable.Range(0, ranks).Select(r => MpiJob.Read<double>(In(r, k))).ToArray();
            var serial = SerialSum(inputs);
            for (var r = 0; r < ranks; r++) AssertSameBits(serial, MpiJob.Read<double>(Out(r, k)), $"rank {r}, set {k}");
            if (ranks == 3 && inputs[0].Length > 1000) AssertAnotherOrderDiffers(inputs);
        }
    }

    /// <summary>
    /// Open MPI's tuned collectives forced to each MPI_Allreduce algorithm (1..6) and to other
    /// MPI_Alltoallv / MPI_Allgatherv algorithms at 3 ranks: the plain allreduce is only close to
    /// the serial sum, the fixed-order sum stays equal to it bit for bit.
    /// </summary>
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 2, 2)]
    [InlineData(3, 1, 3)]
    [InlineData(4, 2, 4)]
    [InlineData(5, 1, 2)]
    [InlineData(6, 2, 3)]
    public void TheFixedOrderSumIgnoresWhichAlgorithmOpenMpiIsMadeToUse(int allreduce, int alltoallv, int allgatherv)
    {
        var mpi = MpiLauncher.Get("openmpi");
        const int ranks = 3;
        var sets = WriteInputs(ranks, Floats);
        var forced = new Dictionary<string, string>
        {
            ["OMPI_MCA_coll_tuned_use_dynamic_rules"] = "1",
            ["OMPI_MCA_coll_tuned_allreduce_algorithm"] = allreduce.ToString(CultureInfo.InvariantCulture),
            ["OMPI_MCA_coll_tuned_alltoallv_algorithm"] = alltoallv.ToString(CultureInfo.InvariantCulture),
            ["OMPI_MCA_coll_tuned_allgatherv_algorithm"] = allgatherv.ToString(CultureInfo.InvariantCulture),
        };
        CheckFloatSums(MpiJob.Run(mpi, ranks, ["sum", _folder.Path, "float", sets.ToString(CultureInfo.InvariantCulture)], forced), ranks);
    }

    /// <summary>
    /// At 2 ranks the sum is MPI_Allreduce itself (one addition per element, which commutes): under
    /// each of Open MPI's allreduce algorithms it is still the serial rank-order sum, bit for bit.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void TheTwoRankSumIsTheSerialSumUnderEveryAllreduceAlgorithm(int allreduce)
    {
        var mpi = MpiLauncher.Get("openmpi");
        const int ranks = 2;
        var forced = new Dictionary<string, string>
        {
            ["OMPI_MCA_coll_tuned_use_dynamic_rules"] = "1",
            ["OMPI_MCA_coll_tuned_allreduce_algorithm"] = allreduce.ToString(CultureInfo.InvariantCulture),
        };
        var sets = WriteInputs(ranks, Doubles);
        MpiJob.Run(mpi, ranks, ["sum", _folder.Path, "double", sets.ToString(CultureInfo.InvariantCulture)], forced).AssertSucceeded();
        for (var k = 0; k < sets; k++)
        {
            var serial = SerialSum(Enumerable.Range(0, ranks).Select(r => MpiJob.Read<double>(In(r, k))).ToArray());
            for (var r = 0; r < ranks; r++) AssertSameBits(serial, MpiJob.Read<double>(Out(r, k)), $"rank {r}, set {k}");
        }
        foreach (var file in Directory.GetFiles(_folder.Path)) File.Delete(file);
        CheckFloatSums(MpiJob.Run(mpi, ranks, ["sum", _folder.Path, "float", WriteInputs(ranks, Floats).ToString(CultureInfo.InvariantCulture)], forced), ranks);
    }

    [Theory]
    [MemberData(nameof(MpiLauncher.Names), MemberType = typeof(MpiLauncher))]
    public void BroadcastCopiesTheRootsValuesToEveryRank(string launcher)
    {
        const int ranks = 3;
        var rng = TestRandom.Create();
        var root = rng.Next(ranks);
        var length = rng.Next(1, 5000);
        var inputs = Enumerable.Range(0, ranks).Select(_ => Floats(rng, length)).ToArray();
        for (var r = 0; r < ranks; r++) MpiJob.Write(In(r), inputs[r]);
        MpiJob.Run(MpiLauncher.Get(launcher), ranks, ["broadcast", _folder.Path, root.ToString(CultureInfo.InvariantCulture)]).AssertSucceeded();
        for (var r = 0; r < ranks; r++) Assert.Equal(Bits(inputs[root]), Bits(MpiJob.Read<float>(Out(r))));
    }

    [Theory]
    [MemberData(nameof(MpiLauncher.Names), MemberType = typeof(MpiLauncher))]
    public void AllgatherGivesEveryRankAllValuesInRankOrder(string launcher)
    {
        const int ranks = 3;
        var rng = TestRandom.Create();
        var length = rng.Next(1, 100);
        var inputs = Enumerable.Range(0, ranks).Select(_ => Floats(rng, length)).ToArray();
        for (var r = 0; r < ranks; r++) MpiJob.Write(In(r), inputs[r]);
        MpiJob.Run(MpiLauncher.Get(launcher), ranks, ["allgather", _folder.Path]).AssertSucceeded();
        var expected = inputs.SelectMany(v => v).ToArray();
        for (var r = 0; r < ranks; r++) Assert.Equal(Bits(expected), Bits(MpiJob.Read<float>(Out(r))));
    }

    [Theory]
    [MemberData(nameof(MpiLauncher.Names), MemberType = typeof(MpiLauncher))]
    public void NoRankLeavesTheBarrierBeforeEveryRankHasEnteredIt(string launcher)
    {
        const int ranks = 3;
        MpiJob.Run(MpiLauncher.Get(launcher), ranks, ["barrier", _folder.Path]).AssertSucceeded();
        for (var r = 0; r < ranks; r++) Assert.Equal("seen", File.ReadAllText(Out(r)));
    }

    [Theory]
    [MemberData(nameof(MpiLauncher.Names), MemberType = typeof(MpiLauncher))]
    public void ARankKilledMidJobEndsTheWholeJobWithAFailure(string launcher)
    {
        const int ranks = 3;
        var victim = TestRandom.Create().Next(ranks);
        // The others wait in a barrier the dead rank never reaches: only the launcher can end
        // the job, and MpiJob fails the test (and kills the job) if it has not ended in time.
        var result = MpiJob.Run(MpiLauncher.Get(launcher), ranks, ["die", victim.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(result.ExitCode != 0, $"the job exited with 0 after rank {victim} was killed; stdout: {result.Out}");
    }

    [Theory]
    [MemberData(nameof(MpiLauncher.Names), MemberType = typeof(MpiLauncher))]
    public void EveryRankKnowsItsRankAndTheSize(string launcher)
    {
        var ranks = TestRandom.Create().Next(1, 4);
        var result = MpiJob.Run(MpiLauncher.Get(launcher), ranks, ["info"]);
        result.AssertSucceeded();
        var lines = Printed(result.Out).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(ranks, lines.Length);
        var library = launcher == "openmpi" ? "Open MPI" : "MPICH";
        for (var r = 0; r < ranks; r++) Assert.Matches($"^rank {r} of {ranks}: {library} .*, {ranks} ranks?$", lines[r]);
    }

    [Theory]
    [MemberData(nameof(MpiLauncher.Names), MemberType = typeof(MpiLauncher))]
    public void MpiStartsOncePerProcessAndIsFinalizedOnce(string launcher)
    {
        const int ranks = 2;
        var result = MpiJob.Run(MpiLauncher.Get(launcher), ranks, ["restart", "--world"]);
        // Exit 0: each rank finalized MPI exactly once (a second MPI_Finalize is an MPI error, and
        // both launchers fail a job whose rank exits without one).
        result.AssertSucceeded();
        var lines = Printed(result.Out);
        Assert.Equal(2 * ranks, lines.Length);
        Assert.Equal(ranks, lines.Count(l => l == "the same communicator"));
        Assert.Equal(ranks, lines.Count(l => l == "MPI was finalized in this process and cannot be started again"));
    }

    // The ranks' lines. Open MPI gives the ranks a pseudo-terminal for stdout, to which .NET's
    // console first writes the terminal's keypad sequence (ESC [?1h ESC =): not the probe's output.
    private static string[] Printed(string output) =>
        System.Text.RegularExpressions.Regex.Replace(output, @"\x1b(\[[0-9;?]*[A-Za-z]|[=>])", "")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    // Writes inputs for several lengths (empty, shorter than the rank count, not divisible by it,
    // and long) for every rank; returns how many sets.
    private int WriteInputs<T>(int ranks, Func<Random, int, T[]> draw) where T : unmanaged
    {
        var rng = TestRandom.Create();
        int long_ = rng.Next(5_000, 20_000) * ranks + rng.Next(1, ranks);
        int[] lengths = [0, 1, ranks - 1, rng.Next(ranks + 1, 64), long_];
        for (var k = 0; k < lengths.Length; k++)
            for (var r = 0; r < ranks; r++) MpiJob.Write(In(r, k), draw(rng, lengths[k]));
        return lengths.Length;
    }

    private void CheckFloatSums(MpiJob.Result result, int ranks)
    {
        result.AssertSucceeded();
        for (var k = 0; File.Exists(In(0, k)); k++)
        {
            var inputs = Enumerable.Range(0, ranks).Select(r => MpiJob.Read<float>(In(r, k))).ToArray();
            var serial = SerialSum(inputs);
            for (var r = 0; r < ranks; r++)
            {
                AssertSameBits(serial, MpiJob.Read<float>(Out(r, k)), $"rank {r}, set {k}");
                // The plain allreduce adds in an order of MPI's choosing: a sum, within rounding.
                var plain = MpiJob.Read<float>(Path.Combine(_folder.Path, $"plain.{r}.{k}.bin"));
                for (var i = 0; i < serial.Length; i++)
                {
                    var magnitude = inputs.Sum(v => Math.Abs((double)v[i]));
                    Assert.True(Math.Abs(plain[i] - (double)serial[i]) <= 2 * ranks * float.Epsilon + 2 * ranks * magnitude / (1 << 24),
                        $"plain allreduce, rank {r}, element {i}: {plain[i]} against {serial[i]}");
                }
            }
            if (ranks == 3 && inputs[0].Length > 1000) AssertAnotherOrderDiffers(inputs);
        }
    }

    // ((x0 + x1) + x2) + ..., rounded to T at each step.
    private static T[] SerialSum<T>(T[][] inputs) where T : IFloatingPointIeee754<T>
    {
        var sum = new T[inputs[0].Length];
        for (var i = 0; i < sum.Length; i++)
        {
            var s = inputs[0][i];
            for (var r = 1; r < inputs.Length; r++) s += inputs[r][i];
            sum[i] = s;
        }
        return sum;
    }

    // x0 + (x1 + x2) must differ somewhere from (x0 + x1) + x2, or the inputs could not tell orders apart.
    private static void AssertAnotherOrderDiffers<T>(T[][] inputs) where T : IFloatingPointIeee754<T>
    {
        var serial = SerialSum(inputs);
        var differs = Enumerable.Range(0, serial.Length).Count(i => inputs[0][i] + (inputs[1][i] + inputs[2][i]) != serial[i]);
        Assert.True(differs > 0, "the inputs give the same sums in every order, so the test could not see a sum taken in the wrong order");
    }

    private static void AssertSameBits<T>(T[] expected, T[] actual, string what) where T : unmanaged
    {
        Assert.Equal(expected.Length, actual.Length);
        var e = MemoryMarshal.AsBytes(expected.AsSpan());
        var a = MemoryMarshal.AsBytes(actual.AsSpan());
        var size = e.Length / Math.Max(1, expected.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (!e.Slice(i * size, size).SequenceEqual(a.Slice(i * size, size)))
                Assert.Fail($"{what}, element {i} of {expected.Length}: {actual[i]} where the serial rank-order sum is {expected[i]} (bits differ)");
        }
    }

    private static float[] Floats(Random rng, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)Spread(rng, 20)).ToArray();

    private static double[] Doubles(Random rng, int length) =>
        Enumerable.Range(0, length).Select(_ => Spread(rng, 40)).ToArray();

    // ±(1 + u) * 2^e, e uniform in [-range, range]: never zero, magnitudes far apart.
    private static double Spread(Random rng, int range) =>
        (rng.Next(2) == 0 ? -1 : 1) * (1 + rng.NextDouble()) * Math.Pow(2, rng.Next(-range, range + 1));

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private string In(int rank, int set) => Path.Combine(_folder.Path, $"in.{rank}.{set}.bin");

    private string Out(int rank, int set) => Path.Combine(_folder.Path, $"out.{rank}.{set}.bin");

    private string In(int rank) => Path.Combine(_folder.Path, $"in.{rank}.bin");

    private string Out(int rank) => Path.Combine(_folder.Path, $"out.{rank}.bin");
}
