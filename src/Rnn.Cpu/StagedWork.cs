namespace GpuRnn.Cpu;

/// <summary>
/// Runs a sequence of stages, each of the same number of independent items, on several threads,
/// where every item of a stage needs all items of the previous stage done (one time step after
/// another, each split over panels of units). It costs two atomic increments per item where a
/// <see cref="Parallel.For(int, int, Action{int})"/> per stage costs microseconds.
/// </summary>
/// <remarks>
/// Items are claimed in order from one counter, so a thread only ever waits for items that other
/// threads have already claimed and are running: if the thread pool starts no helper at all, the
/// calling thread runs every item itself, in order, and nothing can hang waiting for a thread
/// that never came. Which thread runs an item does not change what the item computes.
/// </remarks>
internal static class StagedWork
{
    /// <summary>Runs <paramref name="body"/>(stage, item) for every item of every stage, stage by stage, on up to <paramref name="threads"/> threads.</summary>
    public static void Run(int stages, int itemsPerStage, int threads, Action<int, int> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(itemsPerStage);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        var total = (long)stages * itemsPerStage;
        if (threads == 1 || total <= 1)
        {
            for (var s = 0; s < stages; s++)
                for (var i = 0; i < itemsPerStage; i++) body(s, i);
            return;
        }
        var state = new Counters();
        Parallel.For(0, threads, _ =>
        {
            var spin = new SpinWait();
            while (true)
            {
                var k = Interlocked.Increment(ref state.Claimed) - 1;
                if (k >= total) return;
                var stage = (int)(k / itemsPerStage);
                var needed = (long)stage * itemsPerStage;
                while (Volatile.Read(ref state.Done) < needed)
                {
                    // A failed item never counts as done: leave, and Parallel.For rethrows its exception.
                    if (Volatile.Read(ref state.Failed)) return;
                    spin.SpinOnce(sleep1Threshold: -1); // yield to others when busy, but never sleep a millisecond
                }
                spin.Reset();
                try { body(stage, (int)(k % itemsPerStage)); }
                catch
                {
                    Volatile.Write(ref state.Failed, true);
                    throw;
                }
                Interlocked.Increment(ref state.Done);
            }
        });
    }

    /// <summary>The shared counters, on their own cache lines so the spinning readers of Done do not slow the claims.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 192)]
    private sealed class Counters
    {
        [System.Runtime.InteropServices.FieldOffset(0)] public long Claimed;
        [System.Runtime.InteropServices.FieldOffset(64)] public long Done;
        [System.Runtime.InteropServices.FieldOffset(128)] public bool Failed;
    }
}
