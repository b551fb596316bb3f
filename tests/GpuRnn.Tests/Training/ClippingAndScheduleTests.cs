using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Training;

public class ClippingAndScheduleTests
{
    private static readonly CpuBackend Cpu = new();

    private static Parameter Gradient(double[] g) =>
        new("p", new double[g.Length].ToDevice(Cpu, new Shape(g.Length)), g.ToDevice(Cpu, new Shape(g.Length)));

    [Fact]
    public void ClippingScalesByTheLimitOverTheGlobalNorm()
    {
        // Hand-computed: ||(3, 4, 12)|| = 13 across two tensors; with c = 6.5 every element halves.
        Parameter a = Gradient([3.0, 4.0]), b = Gradient([12.0]);
        var norm = GradientClipping.ClipGlobalNorm([a, b], 6.5);
        Assert.Equal(13.0, norm, 1e-12);
        Assert.Equal([1.5, 2.0], a.Gradient.ToFloat64Array());
        Assert.Equal([6.0], b.Gradient.ToFloat64Array());
    }

    [Fact]
    public void ClippingLeavesGradientsBelowTheLimitUnchanged()
    {
        var rng = TestRandom.Create();
        var g = TestRandom.Uniform(rng, 9);
        var p = Gradient(g);
        var expectedNorm = Math.Sqrt(g.Sum(v => v * v));
        Assert.Equal(expectedNorm, GradientClipping.ClipGlobalNorm([p], expectedNorm * 1.01), 1e-12);
        Assert.Equal(g, p.Gradient.ToFloat64Array());
        // A limit of 0 turns clipping off whatever the norm.
        GradientClipping.ClipGlobalNorm([p], 0);
        Assert.Equal(g, p.Gradient.ToFloat64Array());
    }

    [Fact]
    public void ClippedGradientHasTheLimitAsNormAndKeepsItsDirection()
    {
        var rng = TestRandom.Create();
        var g = TestRandom.Uniform(rng, 20, 10);
        var p = Gradient(g);
        var norm = Math.Sqrt(g.Sum(v => v * v));
        const double limit = 0.25;
        GradientClipping.ClipGlobalNorm([p], limit);
        var clipped = p.Gradient.ToFloat64Array();
        Tolerance.AssertClose(clipped, g.Select(v => v * limit / norm).ToArray(), Tolerance.Exact64, "clipped gradient");
    }

    [Fact]
    public void ConstantAndWarmUpRates()
    {
        var s = new LearningRateSchedule(0.01, WarmupSteps: 4).Validate();
        Assert.Equal([0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01], Enumerable.Range(0, 6).Select(i => s.RateAt(i)), new ToleranceComparer());
    }

    [Fact]
    public void StepScheduleDecaysByGammaEveryStepSize()
    {
        var s = new LearningRateSchedule(1, ScheduleKind.Step, StepSize: 3, Gamma: 0.5).Validate();
        Assert.Equal([1, 1, 1, 0.5, 0.5, 0.5, 0.25], Enumerable.Range(0, 7).Select(i => s.RateAt(i)), new ToleranceComparer());
    }

    [Fact]
    public void CosineScheduleFallsFromTheBaseToTheMinimumAfterWarmUp()
    {
        var s = new LearningRateSchedule(1, ScheduleKind.Cosine, WarmupSteps: 2, TotalSteps: 6, MinRate: 0.2).Validate();
        // Hand-computed: after 2 warm-up steps, 4 cosine steps: 0.2 + 0.8 * (1 + cos(pi k / 4)) / 2.
        double[] expected = [0.5, 1, 1, 0.2 + 0.4 * (1 + Math.Sqrt(0.5)), 0.6, 0.2 + 0.4 * (1 - Math.Sqrt(0.5)), 0.2, 0.2];
        Assert.Equal(expected, Enumerable.Range(0, 8).Select(i => s.RateAt(i)), new ToleranceComparer());
    }

    [Fact]
    public void SchedulesRoundTripThroughJsonAndRefuseBadSettings()
    {
        var s = new LearningRateSchedule(0.002, ScheduleKind.Cosine, 10, 0, 0.1, 500, 1e-4);
        Assert.Equal(s, LearningRateSchedule.FromJson(s.ToJson()));
        Assert.Contains("learning rate must be positive", Assert.Throws<ArgumentException>(() => new LearningRateSchedule(0).Validate()).Message);
        Assert.Contains("step size", Assert.Throws<ArgumentException>(() => new LearningRateSchedule(1, ScheduleKind.Step).Validate()).Message);
    }

    private sealed class ToleranceComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= 1e-12;
        public int GetHashCode(double obj) => 0;
    }
}
