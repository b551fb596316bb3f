namespace GpuRnn.Distributed;

/// <summary>
/// The job of one process: rank 0 of 1. The sum of one rank's values is those values, so
/// <see cref="SumInPlace(Span{float})"/> leaves them exactly as they are; broadcast and barrier
/// have no one to wait for.
/// </summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    /// <summary>The one instance (it holds nothing).</summary>
    public static SingleProcessCommunicator Instance { get; } = new();

    private SingleProcessCommunicator() { }

    /// <inheritdoc/>
    public int Rank => 0;

    /// <inheritdoc/>
    public int Size => 1;

    /// <inheritdoc/>
    public string Description => "single process";

    /// <inheritdoc/>
    public void SumInPlace(Span<float> values) { }

    /// <inheritdoc/>
    public void SumInPlace(Span<double> values) { }

    /// <inheritdoc/>
    public void Broadcast<T>(Span<T> values, int root = 0) where T : unmanaged => CheckRoot(root);

    /// <inheritdoc/>
    public void Allgather<T>(ReadOnlySpan<T> mine, Span<T> all) where T : unmanaged
    {
        if (all.Length != mine.Length)
            throw new ArgumentException($"Allgather's result holds {all.Length} values; expected Size * N = 1 * {mine.Length}", nameof(all));
        mine.CopyTo(all);
    }

    /// <inheritdoc/>
    public void Barrier() { }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }

    private static void CheckRoot(int root)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), root, "the root of a broadcast must be a rank in [0, 1) of a single process; expected 0");
    }
}
