namespace GpuRnn.Tests;

/// <summary>
/// Fresh random inputs for every run: the seed changes per process and is printed in every
/// failure message so a failing case can be replayed with GPURNN_TEST_SEED.
/// </summary>
public static class TestRandom
{
    /// <summary>This run's seed (GPURNN_TEST_SEED overrides it).</summary>
    public static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("GPURNN_TEST_SEED"), out var s)
        ? s
        : Random.Shared.Next();

    private static int _streams;

    /// <summary>A generator for one test, distinct from every other test's in this run.</summary>
    public static Random Create() => new(HashCode.Combine(Seed, Interlocked.Increment(ref _streams)));

    /// <summary>Values uniform in [-scale, scale), never all zero.</summary>
    public static double[] Uniform(Random rng, long count, double scale = 1)
    {
        var v = new double[count];
        for (long i = 0; i < count; i++) v[i] = (2 * rng.NextDouble() - 1) * scale;
        return v;
    }

    /// <summary>A host tensor of uniform values in [-scale, scale).</summary>
    public static HostTensor Tensor(Random rng, Shape shape, DType dtype, double scale = 1)
    {
        var v = Uniform(rng, shape.ElementCount, scale);
        return HostTensor.FromArray(v, shape).ConvertTo(dtype);
    }
}
