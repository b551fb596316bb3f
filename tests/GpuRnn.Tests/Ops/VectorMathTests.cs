using System.Runtime.Intrinsics;
using GpuRnn.Cpu.Kernels;
using Xunit;

namespace GpuRnn.Tests.Ops;

/// <summary>
/// The CPU backend's vectorised gate nonlinearities (float32: polynomial exp, tanh and sigmoid
/// eight lanes at a time) against the float64 library functions, in units in the last place of
/// the float32 result. Measured maxima over 2M points: exp 1.23, tanh 1.32, sigmoid 3.04 ulps;
/// the bounds leave a little room above them, far less than a wrong coefficient would need.
/// </summary>
public class VectorMathTests
{
    private const int Points = 1_000_003; // not a multiple of 8: the scalar tail runs too

    [Fact]
    public void Float32ExpIsWithinTwoUlpsOverItsFiniteRange()
    {
        var x = Grid(-87f, 88.7f);
        var worst = 0.0;
        var at = 0f;
        for (var i = 0; i + 8 <= x.Length; i += 8)
        {
            var e = VectorMath.Exp(Vector256.Create(x.AsSpan(i, 8)));
            for (var j = 0; j < 8; j++) Track(Ulps(e[j], Math.Exp(x[i + j])), x[i + j], ref worst, ref at);
        }
        Assert.True(worst <= 2, $"exp is {worst:F2} ulps off at x = {at:R} (seed {TestRandom.Seed})");
    }

    [Fact]
    public void Float32TanhIsWithinTwoUlpsIncludingNearZero()
    {
        var rng = TestRandom.Create();
        // A dense grid, plus magnitudes from 1e-6 to 1 where tanh(x) ~ x must keep its relative accuracy.
        var x = Grid(-30f, 30f).Concat(Enumerable.Range(0, 4099).Select(i => (float)((rng.Next(2) * 2 - 1) * Math.Pow(10, -6 + 6 * rng.NextDouble())))).ToArray();
        var y = new float[x.Length];
        VectorMath.Tanh<float>(x, y);
        var worst = 0.0;
        var at = 0f;
        for (var i = 0; i < x.Length; i++) Track(Ulps(y[i], Math.Tanh(x[i])), x[i], ref worst, ref at);
        Assert.True(worst <= 2, $"tanh is {worst:F2} ulps off at x = {at:R} (seed {TestRandom.Seed})");
    }

    [Fact]
    public void Float32SigmoidIsWithinFourUlps()
    {
        var x = Grid(-30f, 30f);
        var y = (float[])x.Clone();
        VectorMath.SigmoidInPlace<float>(y);
        var worst = 0.0;
        var at = 0f;
        for (var i = 0; i < x.Length; i++) Track(Ulps(y[i], 1 / (1 + Math.Exp(-(double)x[i]))), x[i], ref worst, ref at);
        Assert.True(worst <= 4, $"sigmoid is {worst:F2} ulps off at x = {at:R} (seed {TestRandom.Seed})");
    }

    [Fact]
    public void Float32SaturatesToExactLimitsAndNeverGivesNaNForFiniteInput()
    {
        float[] x = [-1e30f, -200f, -89f, -20f, 20f, 89f, 200f, 1e30f, float.NegativeInfinity, float.PositiveInfinity, 0f];
        var tanh = new float[x.Length];
        var sigmoid = (float[])x.Clone();
        VectorMath.Tanh<float>(x, tanh);
        VectorMath.SigmoidInPlace<float>(sigmoid);
        for (var i = 0; i < x.Length; i++)
        {
            Assert.Equal(x[i] == 0 ? 0 : Math.Sign(x[i]), (double)tanh[i], 6);
            Assert.InRange(sigmoid[i], 0f, 1f);
        }
        Assert.Equal(1f, tanh[Array.IndexOf(x, 89f)]);
        Assert.Equal(-1f, tanh[Array.IndexOf(x, -89f)]);
        Assert.Equal(1f, sigmoid[Array.IndexOf(x, 200f)]);
        Assert.Equal(0f, sigmoid[Array.IndexOf(x, -200f)]);
        Assert.Equal(0.5f, sigmoid[Array.IndexOf(x, 0f)]);
        var e = VectorMath.Exp(Vector256.Create(float.PositiveInfinity, float.NegativeInfinity, 89f, -104f, 0f, 88.7f, -87f, 1f));
        Assert.Equal(float.PositiveInfinity, e[0]);
        Assert.Equal(0f, e[1]);
        Assert.Equal(float.PositiveInfinity, e[2]);
        Assert.Equal(0f, e[3]);
        Assert.Equal(1f, e[4]);
    }

    [Fact]
    public void Float64UsesTheExactLibraryFunctions()
    {
        var rng = TestRandom.Create();
        var x = TestRandom.Uniform(rng, 1001, 20);
        var tanh = new double[x.Length];
        var sigmoid = (double[])x.Clone();
        VectorMath.Tanh<double>(x, tanh);
        VectorMath.SigmoidInPlace<double>(sigmoid);
        for (var i = 0; i < x.Length; i++)
        {
            Assert.Equal(Math.Tanh(x[i]), tanh[i]);
            Assert.Equal(1 / (1 + Math.Exp(-x[i])), sigmoid[i]);
        }
    }

    /// <summary>Points evenly spread over [lo, hi] with a random offset, so every run samples different floats.</summary>
    private static float[] Grid(float lo, float hi)
    {
        var offset = TestRandom.Create().NextDouble();
        var x = new float[Points];
        for (var i = 0; i < Points; i++) x[i] = (float)(lo + (hi - lo) * ((i + offset) / Points));
        return x;
    }

    /// <summary>|got - exact| in ulps of exact rounded to float32 (the smallest subnormal for results that underflow).</summary>
    private static double Ulps(float got, double exact)
    {
        var rounded = Math.Abs((float)exact);
        var ulp = Math.Max(MathF.BitIncrement(rounded) - rounded, float.Epsilon);
        return Math.Abs(got - exact) / ulp;
    }

    private static void Track(double ulps, float x, ref double worst, ref float at)
    {
        if (ulps > worst) { worst = ulps; at = x; }
    }

    [Fact]
    public void Float64StaysOnTheExactLibraryFunctions()
    {
        var x = TestRandom.Uniform(TestRandom.Create(), 37, 6);
        var t = (double[])x.Clone();
        var s = (double[])x.Clone();
        VectorMath.TanhInPlace<double>(t);
        VectorMath.SigmoidInPlace<double>(s);
        for (var i = 0; i < x.Length; i++)
        {
            Assert.Equal(Math.Tanh(x[i]), t[i]);
            Assert.Equal(1 / (1 + Math.Exp(-x[i])), s[i]);
        }
    }
}
