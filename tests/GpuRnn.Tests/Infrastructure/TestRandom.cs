using System.Collections.Concurrent;
using Xunit;

namespace GpuRnn.Tests;

/// <summary>
/// Fresh random inputs for every run: the seed changes per process and is printed in every
/// failure message so a failing case can be replayed with GPURNN_TEST_SEED. Each test's
/// generators derive from the run seed and the test's own name (not from the order tests happen
/// to run in), so a replay reproduces a test's inputs whatever else runs or in what order.
/// </summary>
public static class TestRandom
{
    /// <summary>This run's seed (GPURNN_TEST_SEED overrides it).</summary>
    public static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("GPURNN_TEST_SEED"), out var s)
        ? s
        : Random.Shared.Next();

    private static readonly ConcurrentDictionary<string, int> CallsPerTest = new();

    /// <summary>A generator for the current test: its n-th call in a test gives the same stream for the same seed.</summary>
    public static Random Create()
    {
        var test = TestContext.Current.Test?.TestDisplayName ?? "(outside a test)";
        var call = CallsPerTest.AddOrUpdate(test, 1, (_, n) => n + 1);
        return new Random(unchecked((int)CounterRng.Hash((ulong)(uint)Seed, StableHash(test) + (ulong)call)));
    }

    // FNV-1a: string.GetHashCode is randomised per process and would defeat replay.
    private static ulong StableHash(string text)
    {
        var h = 14695981039346656037UL;
        foreach (var ch in text)
        {
            h ^= ch;
            h *= 1099511628211UL;
        }
        return h;
    }

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
