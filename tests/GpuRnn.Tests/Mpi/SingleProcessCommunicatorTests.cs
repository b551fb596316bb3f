using Xunit;

namespace GpuRnn.Tests.Mpi;

/// <summary>The one-process communicator: a sum of one rank is its values, exactly.</summary>
public sealed class SingleProcessCommunicatorTests
{
    private static readonly ICommunicator One = SingleProcessCommunicator.Instance;

    [Fact]
    public void ItIsRankZeroOfOne()
    {
        Assert.Equal(0, One.Rank);
        Assert.Equal(1, One.Size);
    }

    [Fact]
    public void TheSumOfOneRankLeavesEveryValueAsItWas()
    {
        var rng = TestRandom.Create();
        var floats = TestRandom.Uniform(rng, rng.Next(1, 1000)).Select(v => (float)v).ToArray();
        var doubles = TestRandom.Uniform(rng, rng.Next(1, 1000));
        var (floatsBefore, doublesBefore) = (floats.ToArray(), doubles.ToArray());
        One.SumInPlace(floats);
        One.SumInPlace(doubles);
        Assert.Equal(floatsBefore.Select(BitConverter.SingleToInt32Bits), floats.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(doublesBefore.Select(BitConverter.DoubleToInt64Bits), doubles.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void AllgatherCopiesTheOneRanksValues()
    {
        var rng = TestRandom.Create();
        var mine = TestRandom.Uniform(rng, rng.Next(1, 100));
        var all = new double[mine.Length];
        One.Allgather<double>(mine, all);
        Assert.Equal(mine, all);
        var e = Assert.Throws<ArgumentException>(() => One.Allgather<double>(mine, new double[mine.Length + 1]));
        Assert.StartsWith($"Allgather's result holds {mine.Length + 1} values; expected Size * N = 1 * {mine.Length}", e.Message);
    }

    [Fact]
    public void BroadcastFromRankZeroKeepsTheValuesAndAnyOtherRootIsRefused()
    {
        var rng = TestRandom.Create();
        var values = TestRandom.Uniform(rng, 17);
        var before = values.ToArray();
        One.Broadcast<double>(values, 0);
        One.Barrier();
        Assert.Equal(before, values);
        Assert.Throws<ArgumentOutOfRangeException>(() => One.Broadcast<double>(values, 1 + rng.Next(5)));
    }
}
