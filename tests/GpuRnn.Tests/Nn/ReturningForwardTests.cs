using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Nn;

/// <summary>The layers' forwards that return their outputs (the modules' convention), against host arithmetic.</summary>
public class ReturningForwardTests
{
    private static readonly CpuBackend Cpu = new();

    [Fact]
    public void LinearReturnsXWtPlusBKeepingTheLeadingDimensions()
    {
        var rng = TestRandom.Create();
        int a = rng.Next(1, 4), b = rng.Next(1, 4), i = rng.Next(1, 6), o = rng.Next(1, 6);
        using var linear = new Linear(Cpu, i, o, DType.Float64, (ulong)rng.Next());
        var xs = TestRandom.Uniform(rng, a * b * i);
        using var x = xs.ToDevice(Cpu, new Shape(a, b, i));
        using var y = linear.Forward(x);
        Assert.Equal(new Shape(a, b, o), y.Shape);
        var w = linear.Weight.Value.ToFloat64Array();
        var bias = linear.Bias.Value.ToFloat64Array();
        var expected = new double[a * b * o];
        for (var n = 0; n < a * b; n++)
            for (var k = 0; k < o; k++)
            {
                var sum = bias[k];
                for (var j = 0; j < i; j++) sum += xs[n * i + j] * w[k * i + j];
                expected[n * o + k] = sum;
            }
        Tolerance.AssertClose(y.ToFloat64Array(), expected, 1e-12, "y");
        using var wrong = TestRandom.Uniform(rng, 2 * (i + 1)).ToDevice(Cpu, new Shape(2, i + 1));
        Assert.Contains($"its last dimension must be the input size {i}", Assert.Throws<ArgumentException>(() => linear.Forward(wrong)).Message);
    }

    [Fact]
    public void EmbeddingReturnsTheRowsOfTheIdsWithTheirShape()
    {
        var rng = TestRandom.Create();
        int count = rng.Next(2, 8), dim = rng.Next(1, 5), t = rng.Next(1, 4), b = rng.Next(1, 4);
        using var embedding = new Embedding(Cpu, count, dim, DType.Float64, (ulong)rng.Next());
        var ids = Enumerable.Range(0, t * b).Select(_ => rng.Next(count)).ToArray();
        using var idd = ids.ToDevice(Cpu, new Shape(t, b));
        using var rows = embedding.Forward(idd);
        Assert.Equal(new Shape(t, b, dim), rows.Shape);
        var table = embedding.Weight.Value.ToFloat64Array();
        Assert.Equal(ids.SelectMany(id => table.Skip(id * dim).Take(dim)).ToArray(), rows.ToFloat64Array());
    }
}
