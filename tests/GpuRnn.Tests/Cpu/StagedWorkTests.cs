using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Cpu;

/// <summary>The stage-by-stage work loop of the CPU backend's small-batch recurrent forward.</summary>
public class StagedWorkTests
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    [InlineData(4, 5)]
    [InlineData(3, 1)]
    public void EveryItemRunsOnceAndOnlyAfterTheWholePreviousStage(int threads, int items)
    {
        var stages = 50 + TestRandom.Create().Next(50);
        var finished = new int[stages];
        var runs = new int[stages, items];
        var violations = 0;
        StagedWork.Run(stages, items, threads, (stage, item) =>
        {
            if (stage > 0 && Volatile.Read(ref finished[stage - 1]) != items) Interlocked.Increment(ref violations);
            Thread.SpinWait(1000 * (item + 1)); // uneven items, so a thread that runs ahead would be seen
            Interlocked.Increment(ref runs[stage, item]);
            Interlocked.Increment(ref finished[stage]);
        });
        Assert.Equal(0, violations);
        for (var s = 0; s < stages; s++)
            for (var i = 0; i < items; i++) Assert.Equal(1, runs[s, i]);
    }

    [Fact]
    public async Task AFailingItemStopsTheRunWithItsExceptionInsteadOfLeavingTheOthersWaiting()
    {
        var failAt = 10 + TestRandom.Create().Next(20);
        var ran = 0;
        var run = Task.Run(() => StagedWork.Run(40, 2, 2, (stage, item) =>
        {
            Interlocked.Increment(ref ran);
            if (stage == failAt && item == 1) throw new InvalidOperationException($"item failed at stage {stage}");
        }), TestContext.Current.CancellationToken);
        // A hang guard, not a timing: the run ends at once or never.
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.True(finished == run, "the run did not end after an item failed");
        var e = Assert.IsType<AggregateException>(run.Exception).Flatten();
        Assert.Contains(e.InnerExceptions, x => x.Message == $"item failed at stage {failAt}");
        Assert.True(ran <= (failAt + 1) * 2, $"{ran} items ran although stage {failAt} never completed");
    }

    [Fact]
    public void NoStagesRunNothing()
    {
        StagedWork.Run(0, 3, 2, (_, _) => throw new InvalidOperationException("no item should run"));
    }
}
