namespace GpuRnn.Tasks.BuiltIn;

/// <summary>Draws of the built-in generators: a counter-based stream per example, so example n is a pure function of (seed, n).</summary>
internal struct GeneratorRandom(ulong seed, ulong stream)
{
    private RandomStream _random = new(CounterRng.Hash(seed, stream));

    /// <summary>A uniform integer in [0, bound).</summary>
    public int Next(int bound) => _random.NextInt(bound);

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => _random.NextDouble();

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => _random.NextDouble() < p;

    /// <summary>A uniform element.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];
}
