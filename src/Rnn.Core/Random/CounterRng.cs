namespace GpuRnn;

/// <summary>
/// A counter-based random number generator: each number is a pure function of (seed, counter),
/// so every backend and every thread draws the same stream without shared state, and a run
/// resumed at a known counter continues the same sequence. SplitMix64's finalizer
/// (Steele, Lea and Flood 2014) mixes the pair; it passes BigCrush as a counter hash.
/// Written with plain integer arithmetic so ILGPU kernels can call it.
/// </summary>
public static class CounterRng
{
    /// <summary>A 64-bit hash of (seed, counter).</summary>
    public static ulong Hash(ulong seed, ulong counter)
    {
        var z = seed + (counter + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A float in [0, 1) with 24 random bits, exactly representable in float32.</summary>
    public static float Uniform(ulong seed, ulong counter) => (Hash(seed, counter) >> 40) * (1.0f / 16777216.0f);
}
