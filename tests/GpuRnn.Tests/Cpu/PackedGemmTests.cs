using GpuRnn.Cpu.Kernels;
using Xunit;

namespace GpuRnn.Tests.Cpu;

/// <summary>The packed float32 GEMM against a float64 triple loop, on shapes that exercise every edge tile.</summary>
public class PackedGemmTests
{
    public static TheoryData<int, int, int, bool, bool> Shapes()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (var (m, n, k) in new[] { (1, 1, 1), (5, 7, 3), (6, 16, 256), (7, 17, 257), (13, 33, 300), (64, 100, 37), (121, 50, 513) })
            foreach (var ta in new[] { false, true })
                foreach (var tb in new[] { false, true })
                    data.Add(m, n, k, ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesATripleLoopWithLeadingDimensionsAndLeavesPaddingAlone(int m, int n, int k, bool transA, bool transB)
    {
        if (!PackedGemm.IsSupported) Assert.Skip("this CPU has no 256-bit FMA; the packed path is not used here");
        var rng = TestRandom.Create();
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 5;
        var a = Floats(rng, (transA ? k : m) * lda);
        var b = Floats(rng, (transB ? n : k) * ldb);
        var c = Floats(rng, m * ldc);
        var original = (float[])c.Clone();
        const float alpha = 0.7f, beta = 0.3f;

        PackedGemm.Run(a, lda, transA, PackedMatrix.Pack(b, ldb, transB, k, n), c, ldc, m, alpha, beta);

        var actual = new double[m * n];
        var expected = new double[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var p = 0; p < k; p++)
                    sum += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                expected[i * n + j] = alpha * sum + beta * original[i * ldc + j];
                actual[i * n + j] = c[i * ldc + j];
            }
            for (var j = n; j < ldc && i * ldc + j < c.Length; j++)
                Assert.Equal(original[i * ldc + j], c[i * ldc + j]);
        }
        Tolerance.AssertClose(actual, expected, Tolerance.Forward32, $"gemm {m}x{n}x{k} transA={transA} transB={transB}");
    }

    [Fact]
    public void ResultDoesNotDependOnTheThreadSplit()
    {
        if (!PackedGemm.IsSupported) Assert.Skip("this CPU has no 256-bit FMA; the packed path is not used here");
        var rng = TestRandom.Create();
        int m = 150, n = 300, k = 700;
        var a = Floats(rng, m * k);
        var b = PackedMatrix.Pack(Floats(rng, k * n), n, false, k, n);
        var whole = new float[m * n];
        PackedGemm.Run(a, k, false, b, whole, n, m, 1, 0);
        // Row blocks computed separately (as a single thread would) must equal the parallel result bit for bit.
        var pieces = new float[m * n];
        for (var r0 = 0; r0 < m; r0 += 7)
        {
            var rows = Math.Min(7, m - r0);
            PackedGemm.Run(a.AsSpan(r0 * k), k, false, b, pieces.AsSpan(r0 * n), n, rows, 1, 0);
        }
        Assert.Equal(whole, pieces);
    }

    private static float[] Floats(Random rng, int count) => Array.ConvertAll(TestRandom.Uniform(rng, count), v => (float)v);
}
