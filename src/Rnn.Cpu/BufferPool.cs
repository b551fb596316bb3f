namespace GpuRnn.Cpu;

/// <summary>
/// Large scratch arrays kept between calls. A fresh multi-megabyte array costs the GC's zeroing,
/// page faults on first touch and, soon, a gen-2 collection; an RNN layer needs several per call
/// (the reserve, the gate gradients), all of the same sizes from one training step to the next.
/// Arrays live on the pinned object heap, so kernels may hold raw pointers into them without
/// pinning. Rented contents are arbitrary: callers clear what they read before writing.
/// </summary>
internal sealed class BufferPool
{
    // Enough for every buffer of a few stacked layers' reserves; beyond it the smallest goes.
    private const int MaxKept = 48;
    private readonly List<Array> _free = [];

    /// <summary>An array of at least <paramref name="length"/> elements, uninitialised.</summary>
    public T[] Rent<T>(int length) where T : unmanaged
    {
        if (length == 0) return [];
        lock (_free)
        {
            // The smallest kept array that fits, so a small request does not take a large one.
            var best = -1;
            for (var i = 0; i < _free.Count; i++)
            {
                if (_free[i] is T[] a && a.Length >= length && (best < 0 || a.Length < _free[best].Length)) best = i;
            }
            if (best >= 0)
            {
                var found = (T[])_free[best];
                _free.RemoveAt(best);
                return found;
            }
        }
        return GC.AllocateUninitializedArray<T>(length, pinned: true);
    }

    /// <summary>An array of at least <paramref name="length"/> elements whose first <paramref name="length"/> are zero.</summary>
    public T[] RentCleared<T>(int length) where T : unmanaged
    {
        var array = Rent<T>(length);
        array.AsSpan(0, length).Clear();
        return array;
    }

    /// <summary>Gives back an array from <see cref="Rent{T}"/> (null, empty and already returned arrays are ignored).</summary>
    public void Return(Array? array)
    {
        if (array is null || array.Length == 0) return;
        lock (_free)
        {
            foreach (var kept in _free)
            {
                if (ReferenceEquals(kept, array)) return;
            }
            if (_free.Count >= MaxKept)
            {
                var smallest = 0;
                for (var i = 1; i < _free.Count; i++)
                {
                    if (_free[i].Length < _free[smallest].Length) smallest = i;
                }
                if (_free[smallest].Length >= array.Length) return;
                _free.RemoveAt(smallest);
            }
            _free.Add(array);
        }
    }
}
