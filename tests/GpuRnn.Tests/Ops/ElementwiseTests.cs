using Xunit;

namespace GpuRnn.Tests.Ops;

/// <summary>AddBias, SumRows, Axpy, Scale, Multiply and Transpose01 against plain loops.</summary>
public class ElementwiseTests
{
    public static TheoryData<string, DType> Cases => OpCases.NamesAndTypes;

    // 37 leaves a scalar tail after every vector width; 64 has none.
    private static readonly int[] Lengths = [1, 37, 64];

    [Theory, MemberData(nameof(Cases))]
    public void AddBiasAddsTheBiasToEveryRowOfAFoldedTensor(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        foreach (var f in Lengths)
        {
            var (y, yv) = OpCases.Random(backend, rng, new Shape(3, 2, f), dtype);
            var (bias, bv) = OpCases.Random(backend, rng, new Shape(f), dtype);
            using (y)
            using (bias)
            {
                backend.AddBias(y, bias);
                double[] expected = new double[yv.Length], terms = new double[yv.Length];
                for (var i = 0; i < yv.Length; i++)
                {
                    expected[i] = yv[i] + bv[i % f];
                    terms[i] = Math.Abs(yv[i]) + Math.Abs(bv[i % f]);
                }
                OpCases.AssertSumClose(y.ToFloat64Array(), expected, terms, OpCases.ForwardTolerance(dtype), $"AddBias over [3, 2, {f}]");
            }
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void SumRowsScalesTheOldSumByBetaAndAddsEveryRow(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        foreach (var f in Lengths)
            foreach (var beta in new[] { 1.0, 0.5 })
            {
                var (x, xv) = OpCases.Random(backend, rng, new Shape(5, f), dtype);
                var (sum, sv) = OpCases.Random(backend, rng, new Shape(f), dtype);
                using (x)
                using (sum)
                {
                    backend.SumRows(x, sum, beta);
                    double[] expected = new double[f], terms = new double[f];
                    for (var j = 0; j < f; j++)
                    {
                        expected[j] = beta * sv[j];
                        terms[j] = Math.Abs(beta * sv[j]);
                        for (var r = 0; r < 5; r++)
                        {
                            expected[j] += xv[r * f + j];
                            terms[j] += Math.Abs(xv[r * f + j]);
                        }
                    }
                    OpCases.AssertSumClose(sum.ToFloat64Array(), expected, terms, OpCases.ForwardTolerance(dtype), $"SumRows of [5, {f}] with beta {beta}");
                }
            }
    }

    [Theory, MemberData(nameof(Cases))]
    public void SumRowsWithBetaZeroOverwritesASumHoldingNaN(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        var (x, xv) = OpCases.Random(backend, rng, new Shape(4, 37), dtype);
        using var _ = x;
        using var sum = backend.Allocate(new Shape(37), dtype);
        backend.Fill(sum, double.NaN);
        backend.SumRows(x, sum, beta: 0);
        double[] expected = new double[37], terms = new double[37];
        for (var j = 0; j < 37; j++)
            for (var r = 0; r < 4; r++)
            {
                expected[j] += xv[r * 37 + j];
                terms[j] += Math.Abs(xv[r * 37 + j]);
            }
        OpCases.AssertSumClose(sum.ToFloat64Array(), expected, terms, OpCases.ForwardTolerance(dtype), "SumRows with beta 0 over NaN");
    }

    /// <summary>
    /// Fill of a slice sets exactly its elements: zero (a memset on most backends; on OpenCL ILGPU's
    /// memset of a sub-view cleared elements at the offset times the element size) and another value.
    /// </summary>
    [Theory, MemberData(nameof(Cases))]
    public void FillOfASliceSetsOnlyItsOwnElements(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        var (x, xv) = OpCases.Random(backend, rng, new Shape(40, 3), dtype);
        using var _ = x;
        var expected = (double[])xv.Clone();
        foreach (var (start, count, value) in new[] { (8, 4, 0.0), (21, 5, 2.5), (1, 2, 0.0) })
        {
            using (var slice = x.Slice(start, count)) backend.Fill(slice, value);
            Array.Fill(expected, value, start * 3, count * 3);
            OpCases.AssertIdentical(x.ToFloat64Array(), expected, $"after Fill(Slice({start}, {count}), {value})");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void AxpyAddsAlphaTimesX(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        foreach (var n in Lengths)
        {
            var alpha = -3 + 6 * rng.NextDouble();
            var alphaSeen = OpCases.Rounded([alpha], dtype)[0];
            var (x, xv) = OpCases.Random(backend, rng, new Shape(n), dtype);
            var (y, yv) = OpCases.Random(backend, rng, new Shape(n), dtype);
            using (x)
            using (y)
            {
                backend.Axpy(alpha, x, y);
                double[] expected = new double[n], terms = new double[n];
                for (var i = 0; i < n; i++)
                {
                    expected[i] = yv[i] + alphaSeen * xv[i];
                    terms[i] = Math.Abs(yv[i]) + Math.Abs(alphaSeen * xv[i]);
                }
                OpCases.AssertSumClose(y.ToFloat64Array(), expected, terms, OpCases.ForwardTolerance(dtype), $"Axpy of {n} elements");
                OpCases.AssertIdentical(x.ToFloat64Array(), xv, "Axpy leaves x unchanged");
            }
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void ScaleMultipliesEveryElement(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        foreach (var n in Lengths)
        {
            var alpha = -3 + 6 * rng.NextDouble();
            var alphaSeen = OpCases.Rounded([alpha], dtype)[0];
            var (x, xv) = OpCases.Random(backend, rng, new Shape(n), dtype);
            using (x)
            {
                backend.Scale(x, alpha);
                // One rounding of an exact product: the result is exactly the dtype's product.
                var expected = OpCases.Rounded(Array.ConvertAll(xv, v => v * alphaSeen), dtype);
                OpCases.AssertIdentical(x.ToFloat64Array(), expected, $"Scale of {n} elements");
            }
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void MultiplyIsElementwiseAndMayWriteOverAnOperand(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        foreach (var n in Lengths)
        {
            var (a, av) = OpCases.Random(backend, rng, new Shape(n), dtype);
            var (b, bv) = OpCases.Random(backend, rng, new Shape(n), dtype);
            using (a)
            using (b)
            using (var result = backend.Allocate(new Shape(n), dtype))
            {
                var expected = new double[n];
                for (var i = 0; i < n; i++) expected[i] = av[i] * bv[i];
                expected = OpCases.Rounded(expected, dtype);
                backend.Multiply(a, b, result);
                OpCases.AssertIdentical(result.ToFloat64Array(), expected, $"Multiply of {n} elements");
                backend.Multiply(a, b, a);
                OpCases.AssertIdentical(a.ToFloat64Array(), expected, $"Multiply of {n} elements into its first operand");
            }
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Transpose01SwapsTheFirstTwoAxes(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        foreach (var (d0, d1, f) in new[] { (3, 5, 7), (1, 4, 2), (4, 1, 3), (2, 3, 1) })
        {
            var (x, xv) = OpCases.Random(backend, rng, new Shape(d0, d1, f), dtype);
            using (x)
            using (var y = backend.Allocate(new Shape(d1, d0, f), dtype))
            {
                backend.Transpose01(x, y);
                var expected = new double[xv.Length];
                for (var i = 0; i < d0; i++)
                    for (var j = 0; j < d1; j++)
                        for (var k = 0; k < f; k++) expected[(j * d0 + i) * f + k] = xv[(i * d1 + j) * f + k];
                OpCases.AssertIdentical(y.ToFloat64Array(), expected, $"Transpose01 of [{d0}, {d1}, {f}]");
            }
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Transpose01RefusesAnOutputOfTheWrongShape(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        using var x = backend.Allocate(new Shape(3, 5, 7), dtype);
        using var y = backend.Allocate(new Shape(3, 5, 7), dtype);
        var e = Assert.ThrowsAny<ArgumentException>(() => backend.Transpose01(x, y));
        Assert.Contains("[3, 5, 7]", e.Message);
        Assert.Contains("[5, 3, 7]", e.Message);
    }

    [Theory, MemberData(nameof(Cases))]
    public void ElementCountMismatchesAreRefusedNamingBothCounts(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        using var x = backend.Allocate(new Shape(6), dtype);
        using var y = backend.Allocate(new Shape(7), dtype);
        using var bias = backend.Allocate(new Shape(5), dtype);
        using var matrix = backend.Allocate(new Shape(2, 6), dtype);

        var axpy = Assert.ThrowsAny<ArgumentException>(() => backend.Axpy(1, x, y));
        Assert.Contains("6", axpy.Message);
        Assert.Contains("7", axpy.Message);
        var multiply = Assert.ThrowsAny<ArgumentException>(() => backend.Multiply(x, y, x));
        Assert.Contains("7", multiply.Message);
        var addBias = Assert.ThrowsAny<ArgumentException>(() => backend.AddBias(matrix, bias));
        Assert.Contains("[5]", addBias.Message);
        Assert.Contains("[6]", addBias.Message);
        var sumRows = Assert.ThrowsAny<ArgumentException>(() => backend.SumRows(matrix, bias));
        Assert.Contains("[5]", sumRows.Message);
        Assert.Contains("[6]", sumRows.Message);
    }
}
