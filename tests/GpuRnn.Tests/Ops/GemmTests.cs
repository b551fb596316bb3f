using Xunit;

namespace GpuRnn.Tests.Ops;

/// <summary>C = alpha * op(A) * op(B) + beta * C against a naive triple loop in float64.</summary>
public class GemmTests
{
    public static TheoryData<string, DType> Cases => OpCases.NamesAndTypes;

    private static readonly bool[] Both = [false, true];

    [Theory, MemberData(nameof(Cases))]
    public void EveryTransposeCombinationMatchesANaiveTripleLoopOnOddSizes(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        // Sizes off every vector width, plus the degenerate rows and columns of one.
        (int M, int N, int K)[] sizes = [(1, 1, 1), (7, 5, 3), (3, 13, 17), (1, 9, 33), (19, 1, 6), (5, 11, 1)];
        foreach (var (m, n, k) in sizes)
            foreach (var ta in Both)
                foreach (var tb in Both)
                    CheckAgainstNaive(backend, dtype, rng, m, n, k, ta, tb, alpha: 1, beta: 0);
    }

    [Theory, MemberData(nameof(Cases))]
    public void LargeSizesThatReachThePackedBlockedAndParallelPathsMatchANaiveTripleLoop(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        // The CPU kernels switch paths by size: rows split across threads above 2^18 multiply-adds,
        // a packed float32 micro-kernel (6 x 16 tiles) above 2^15 and on several threads above 2^20,
        // K in blocks of 256. These sizes cross each switch with ragged tiles (131 = 21*6 + 5, 97 = 6*16 + 1).
        (int M, int N, int K)[] sizes = [(67, 65, 61), (131, 97, 83), (37, 29, 300)];
        foreach (var (m, n, k) in sizes)
            foreach (var ta in Both)
                foreach (var tb in Both)
                    CheckAgainstNaive(backend, dtype, rng, m, n, k, ta, tb, alpha: -2 + 4 * rng.NextDouble(), beta: rng.NextDouble());
    }

    [Theory, MemberData(nameof(Cases))]
    public void AlphaScalesTheProductAndBetaScalesTheOldC(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        foreach (var beta in new[] { 1.0, -0.5, 0.25 + rng.NextDouble() })
            foreach (var ta in Both)
                foreach (var tb in Both)
                    CheckAgainstNaive(backend, dtype, rng, 6, 9, 5, ta, tb, alpha: -2 + 4 * rng.NextDouble(), beta: beta);
    }

    [Theory, MemberData(nameof(Cases))]
    public void BetaZeroOverwritesCEvenWhenItHoldsNaN(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        // A small product and one large enough for the packed path.
        foreach (var (m, n, k) in new[] { (4, 9, 3), (6, 64, 100) })
        {
            var (a, av) = OpCases.Random(backend, rng, new Shape(m, k), dtype);
            var (b, bv) = OpCases.Random(backend, rng, new Shape(k, n), dtype);
            using (a)
            using (b)
            using (var c = backend.Allocate(new Shape(m, n), dtype))
            {
                backend.Fill(c, double.NaN);
                backend.Gemm(a, false, b, false, c, alpha: 1.5, beta: 0);
                var expected = Naive(av, false, bv, false, new double[m * n], m, n, k, 1.5, 0);
                Tolerance.AssertClose(c.ToFloat64Array(), expected, OpCases.ForwardTolerance(dtype), $"gemm M={m} N={n} K={k} with beta 0 over a NaN-filled C");
            }
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void TensorsOfRankThreeAreReadAsMatricesOfFoldedLeadingDimensions(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        // x [T, B, I] times W^T [I, G] is the input projection of a whole sequence.
        var (x, xv) = OpCases.Random(backend, rng, new Shape(3, 2, 5), dtype);
        var (w, wv) = OpCases.Random(backend, rng, new Shape(7, 5), dtype);
        using var _x = x;
        using var _w = w;
        using var y = backend.Allocate(new Shape(3, 2, 7), dtype);
        backend.Gemm(x, false, w, true, y);
        var expected = Naive(xv, false, wv, true, new double[42], 6, 7, 5, 1, 0);
        Tolerance.AssertClose(y.ToFloat64Array(), expected, OpCases.ForwardTolerance(dtype), "gemm of [3, 2, 5] by [7, 5]^T");
    }

    [Theory, MemberData(nameof(Cases))]
    public void MismatchedInnerDimensionsAreRefusedNamingBothShapes(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        using var a = backend.Allocate(new Shape(4, 3), dtype);
        using var b = backend.Allocate(new Shape(5, 6), dtype);
        using var c = backend.Allocate(new Shape(4, 6), dtype);
        var e = Assert.ThrowsAny<ArgumentException>(() => backend.Gemm(a, false, b, false, c));
        Assert.Contains("[4, 3]", e.Message);
        Assert.Contains("[5, 6]", e.Message);
    }

    [Theory, MemberData(nameof(Cases))]
    public void AWrongOutputShapeIsRefusedNamingTheExpectedShape(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        using var a = backend.Allocate(new Shape(4, 3), dtype);
        using var b = backend.Allocate(new Shape(6, 3), dtype);
        using var c = backend.Allocate(new Shape(6, 4), dtype);
        var e = Assert.ThrowsAny<ArgumentException>(() => backend.Gemm(a, false, b, true, c));
        Assert.Contains("[6, 4]", e.Message);
        Assert.Contains("[4, 6]", e.Message);
    }

    [Theory, MemberData(nameof(Cases))]
    public void MixedDtypesAreRefusedNamingBoth(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var other = OpCases.OtherFloat(backend, dtype);
        using var a = backend.Allocate(new Shape(2, 3), dtype);
        using var b = backend.Allocate(new Shape(3, 2), other);
        using var c = backend.Allocate(new Shape(2, 2), dtype);
        var e = Assert.ThrowsAny<ArgumentException>(() => backend.Gemm(a, false, b, false, c));
        Assert.Contains(dtype.DisplayName(), e.Message);
        Assert.Contains(other.DisplayName(), e.Message);
    }

    private static void CheckAgainstNaive(IBackend backend, DType dtype, Random rng, int m, int n, int k, bool ta, bool tb, double alpha, double beta)
    {
        var (a, av) = OpCases.Random(backend, rng, ta ? new Shape(k, m) : new Shape(m, k), dtype);
        var (b, bv) = OpCases.Random(backend, rng, tb ? new Shape(n, k) : new Shape(k, n), dtype);
        var (c, cv) = OpCases.Random(backend, rng, new Shape(m, n), dtype);
        using (a)
        using (b)
        using (c)
        {
            // alpha and beta reach a float32 kernel rounded, so the reference rounds them too.
            double alphaSeen = OpCases.Rounded([alpha], dtype)[0], betaSeen = OpCases.Rounded([beta], dtype)[0];
            backend.Gemm(a, ta, b, tb, c, alpha, beta);
            var expected = Naive(av, ta, bv, tb, cv, m, n, k, alphaSeen, betaSeen);
            Tolerance.AssertClose(c.ToFloat64Array(), expected, OpCases.ForwardTolerance(dtype),
                $"gemm M={m} N={n} K={k} transposeA={ta} transposeB={tb} alpha={alpha} beta={beta}");
        }
    }

    /// <summary>C[i, j] = alpha * sum_p op(A)[i, p] * op(B)[p, j] + beta * C[i, j], with beta 0 ignoring C.</summary>
    private static double[] Naive(double[] a, bool ta, double[] b, bool tb, double[] c, int m, int n, int k, double alpha, double beta)
    {
        var result = new double[m * n];
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                var sum = 0.0;
                for (var p = 0; p < k; p++)
                    sum += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                result[i * n + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * n + j]);
            }
        return result;
    }
}
