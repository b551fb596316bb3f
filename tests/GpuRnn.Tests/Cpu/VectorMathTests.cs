using GpuRnn.Cpu.Kernels;
using Xunit;

namespace GpuRnn.Tests.Cpu;

/// <summary>The CPU backend's vectorised float32 nonlinearities against float64 library functions.</summary>
public class VectorMathTests
{
    // A few units in the last place: far inside the 1e-5 relative tolerance the backends share.
    private const double MaxUlps = 4;

    [Fact]
    public void SigmoidIsWithinAFewUlpsOfTheExactValue()
    {
        var x = Inputs(TestRandom.Create());
        var y = (float[])x.Clone();
        VectorMath.SigmoidInPlace<float>(y);
        AssertUlps(x, y, v => 1 / (1 + Math.Exp(-v)), "sigmoid");
    }

    [Fact]
    public void TanhIsWithinAFewUlpsOfTheExactValueIncludingNearZero()
    {
        var x = Inputs(TestRandom.Create());
        var y = new float[x.Length];
        VectorMath.Tanh<float>(x, y);
        AssertUlps(x, y, Math.Tanh, "tanh");
    }

    [Fact]
    public void ExtremesSaturateWithoutNaN()
    {
        float[] x = [-1e30f, -100f, -88f, 88f, 100f, 1e30f, float.NegativeInfinity, float.PositiveInfinity];
        var s = (float[])x.Clone();
        var t = (float[])x.Clone();
        VectorMath.SigmoidInPlace<float>(s);
        VectorMath.TanhInPlace<float>(t);
        Assert.Equal([0f, 0f, 0f, 1f, 1f, 1f, 0f, 1f], s.Select(v => MathF.Round(v, 6)).ToArray());
        Assert.Equal([-1f, -1f, -1f, 1f, 1f, 1f, -1f, 1f], t);
    }

    [Fact]
    public void Float64StaysOnTheExactLibraryFunctions()
    {
        var rng = TestRandom.Create();
        var x = TestRandom.Uniform(rng, 37, 6);
        var t = (double[])x.Clone();
        VectorMath.TanhInPlace<double>(t);
        for (var i = 0; i < x.Length; i++) Assert.Equal(Math.Tanh(x[i]), t[i]);
    }

    private static float[] Inputs(Random rng)
    {
        // Wide values, values near zero over many decades, and the polynomial/exp switch of tanh.
        var x = new List<float>();
        for (var i = 0; i < 20000; i++) x.Add((float)(rng.NextDouble() * 40 - 20));
        for (var i = 0; i < 5000; i++) x.Add((float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, -rng.Next(1, 30))));
        for (var i = 0; i < 1000; i++) x.Add((float)(0.625 + (rng.NextDouble() - 0.5) * 1e-3));
        x.Add(0);
        x.Add(5);
        return [.. x];
    }

    private static void AssertUlps(float[] x, float[] y, Func<double, double> exact, string what)
    {
        for (var i = 0; i < x.Length; i++)
        {
            var e = exact(x[i]);
            if (Math.Abs(e) < 1e-37) continue;
            var ulp = Math.Abs(MathF.BitIncrement(Math.Abs((float)e)) - Math.Abs((float)e));
            var err = Math.Abs(y[i] - e) / ulp;
            Assert.True(err <= MaxUlps, $"{what}({x[i]:R}) = {y[i]:R}, exact {e:R}: {err:F1} ulps (seed {TestRandom.Seed})");
        }
    }
}
