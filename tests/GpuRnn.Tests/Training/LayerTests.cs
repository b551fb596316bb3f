using Xunit;

namespace GpuRnn.Tests.Training;

/// <summary>The layers of the character model against plain loops in float64, on every backend.</summary>
public class LayerTests
{
    [Theory]
    [MemberData(nameof(TestBackends.Names), MemberType = typeof(TestBackends))]
    public void CrossEntropyIgnoresPaddedRowsAndAveragesOverTheRest(string backendName)
    {
        var backend = TestBackends.Get(backendName);
        var rng = TestRandom.Create();
        int n = rng.Next(5, 12), v = rng.Next(3, 9);
        var logits = TestRandom.Uniform(rng, n * v, 3);
        var targets = Enumerable.Range(0, n).Select(i => i % 3 == 1 ? -1 : rng.Next(v)).ToArray();
        var counted = SoftmaxCrossEntropyLoss.CountTargets(targets);
        using var z = HostTensor.FromArray(logits, new Shape(n, v)).ConvertTo(DType.Float32).ToDevice(backend);
        using var t = targets.ToDevice(backend, new Shape(n));
        using var dz = backend.Allocate(new Shape(n, v), DType.Float32);
        using var loss = new SoftmaxCrossEntropyLoss(backend, DType.Float32);
        var stats = loss.Compute(z, t, dz, counted);

        double sum = 0;
        var expected = new double[n * v];
        for (var r = 0; r < n; r++)
        {
            if (targets[r] < 0) continue;
            var row = logits.AsSpan(r * v, v);
            var max = row.ToArray().Max();
            var total = row.ToArray().Sum(x => Math.Exp(x - max));
            sum += Math.Log(total) + max - row[targets[r]];
            for (var j = 0; j < v; j++) expected[r * v + j] = (Math.Exp(row[j] - max) / total - (j == targets[r] ? 1 : 0)) / counted;
        }
        Assert.Equal(counted, stats.Count);
        Assert.Equal(sum, stats.LossSum, sum * 1e-5);
        Tolerance.AssertClose(dz.ToFloat64Array(), expected, Tolerance.Forward32, $"{backendName} dlogits");
    }

    [Theory]
    [MemberData(nameof(TestBackends.Names), MemberType = typeof(TestBackends))]
    public void LinearForwardAndBackwardMatchPlainLoops(string backendName)
    {
        var backend = TestBackends.Get(backendName);
        var rng = TestRandom.Create();
        int n = rng.Next(2, 9), i = rng.Next(2, 9), o = rng.Next(2, 9);
        using var linear = new Linear(backend, i, o, DType.Float32, "decoder", (ulong)rng.Next());
        var x = TestRandom.Uniform(rng, n * i);
        var dy = TestRandom.Uniform(rng, n * o);
        using var xd = HostTensor.FromArray(x, new Shape(n, i)).ConvertTo(DType.Float32).ToDevice(backend);
        using var dyd = HostTensor.FromArray(dy, new Shape(n, o)).ConvertTo(DType.Float32).ToDevice(backend);
        using var y = backend.Allocate(new Shape(n, o), DType.Float32);
        using var dx = backend.Allocate(new Shape(n, i), DType.Float32);
        backend.Fill(linear.Weight.Gradient, 0);
        backend.Fill(linear.Bias.Gradient, 0);
        linear.Forward(xd, y);
        linear.Backward(xd, dyd, dx);
        linear.Backward(xd, dyd, null); // parameter gradients accumulate

        var w = linear.Weight.Value.ToFloat64Array();
        var b = linear.Bias.Value.ToFloat64Array();
        double[] ey = new double[n * o], edx = new double[n * i], edw = new double[o * i], edb = new double[o];
        for (var r = 0; r < n; r++)
            for (var c = 0; c < o; c++)
            {
                ey[r * o + c] = b[c];
                for (var k = 0; k < i; k++)
                {
                    ey[r * o + c] += x[r * i + k] * w[c * i + k];
                    edx[r * i + k] += dy[r * o + c] * w[c * i + k];
                    edw[c * i + k] += 2 * dy[r * o + c] * x[r * i + k];
                }
                edb[c] += 2 * dy[r * o + c];
            }
        Tolerance.AssertClose(y.ToFloat64Array(), ey, Tolerance.Forward32, "y");
        Tolerance.AssertClose(dx.ToFloat64Array(), edx, Tolerance.Gradient32, "dx");
        Tolerance.AssertClose(linear.Weight.Gradient.ToFloat64Array(), edw, Tolerance.Gradient32, "dW");
        Tolerance.AssertClose(linear.Bias.Gradient.ToFloat64Array(), edb, Tolerance.Gradient32, "db");
    }

    [Theory]
    [MemberData(nameof(TestBackends.Names), MemberType = typeof(TestBackends))]
    public void EmbeddingGradientSumsTheRowsOfRepeatedIds(string backendName)
    {
        var backend = TestBackends.Get(backendName);
        var rng = TestRandom.Create();
        int count = rng.Next(3, 7), dim = rng.Next(2, 6), n = rng.Next(8, 16);
        using var embedding = new Embedding(backend, count, dim, DType.Float32, "embedding", (ulong)rng.Next());
        var ids = Enumerable.Range(0, n).Select(_ => rng.Next(count)).ToArray();
        var dOut = TestRandom.Uniform(rng, n * dim);
        using var idd = ids.ToDevice(backend, new Shape(n));
        using var rows = backend.Allocate(new Shape(n, dim), DType.Float32);
        using var dRows = HostTensor.FromArray(dOut, new Shape(n, dim)).ConvertTo(DType.Float32).ToDevice(backend);
        backend.Fill(embedding.Weight.Gradient, 0);
        embedding.Forward(idd, rows);
        embedding.Backward(idd, dRows);

        var table = embedding.Weight.Value.ToFloat64Array();
        var expectedRows = ids.SelectMany(id => table.Skip(id * dim).Take(dim)).ToArray();
        var expectedGrad = new double[count * dim];
        for (var r = 0; r < n; r++)
            for (var j = 0; j < dim; j++) expectedGrad[ids[r] * dim + j] += dOut[r * dim + j];
        Tolerance.AssertClose(rows.ToFloat64Array(), expectedRows, Tolerance.Forward32, "rows");
        Tolerance.AssertClose(embedding.Weight.Gradient.ToFloat64Array(), expectedGrad, Tolerance.Gradient32, "dTable");
    }
}
