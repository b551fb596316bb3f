namespace GpuRnn;

/// <summary>
/// A sequence of random numbers drawn from <see cref="CounterRng"/>: the whole state is the seed
/// and a counter, so it is saved in a checkpoint as two integers and resumes exactly.
/// </summary>
/// <param name="seed">The stream's seed.</param>
/// <param name="counter">How many numbers have been drawn.</param>
public struct RandomStream(ulong seed, ulong counter = 0)
{
    /// <summary>The stream's seed.</summary>
    public ulong Seed { get; } = seed;

    /// <summary>How many numbers have been drawn so far (the next draw uses this counter).</summary>
    public ulong Counter { get; private set; } = counter;

    /// <summary>A double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (CounterRng.Hash(Seed, Counter++) >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer in [0, <paramref name="bound"/>).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), $"bound must be positive, got {bound}");
        return (int)(NextDouble() * bound);
    }

    /// <summary>A standard normal draw (Box–Muller on two uniforms).</summary>
    public double NextNormal()
    {
        var u1 = 1.0 - NextDouble(); // in (0, 1], so the logarithm is finite
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
