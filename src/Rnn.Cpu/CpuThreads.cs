namespace GpuRnn.Cpu;

/// <summary>
/// How many threads the CPU kernels may use in the current backend call. Each heavy backend
/// entry point sets it for its duration, so the static kernels need no extra parameter and two
/// backends with different limits can run side by side.
/// </summary>
internal static class CpuThreads
{
    [ThreadStatic] private static int _current;

    /// <summary>Threads available to the call in progress on this thread.</summary>
    public static int Count => _current > 0 ? _current : Environment.ProcessorCount;

    /// <summary>Sets the count until the returned scope is disposed.</summary>
    public static Scope Use(int threads)
    {
        var previous = _current;
        _current = threads;
        return new Scope(previous);
    }

    /// <summary>Restores the previous count.</summary>
    public readonly struct Scope(int previous) : IDisposable
    {
        public void Dispose() => _current = previous;
    }
}
