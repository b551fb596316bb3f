using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Training;

/// <summary>Optimizer updates against PyTorch's update rules written out element by element.</summary>
public class OptimizerTests
{
    private static readonly CpuBackend Cpu = new();

    private static Parameter NewParameter(double[] value, double[] gradient, string name = "w") =>
        new(name, value.ToDevice(Cpu, new Shape(value.Length)), gradient.ToDevice(Cpu, new Shape(gradient.Length)));

    [Fact]
    public void AdamFirstStepMovesEachWeightByTheLearningRate()
    {
        // Hand-computed: m = 0.1 g, v = 0.001 g^2, m^ = g, v^ = g^2, so p -= lr * g / (|g| + eps).
        var p = NewParameter([1.0, -2.0], [0.5, -4.0]);
        using var adam = new AdamOptimizer([p], new OptimizerConfig(OptimizerKind.Adam));
        adam.Step(0.1);
        var after = p.Value.ToFloat64Array();
        Assert.Equal(0.9, after[0], 1e-7);
        Assert.Equal(-1.9, after[1], 1e-7);
    }

    [Fact]
    public void SgdWithMomentumFollowsTheVelocityOverThreeSteps()
    {
        // Hand-computed with p = 1, g = 1 held fixed, lr 0.1, momentum 0.9:
        // v = 1, 1.9, 2.71 and p = 0.9, 0.71, 0.439.
        var p = NewParameter([1.0], [1.0]);
        using var sgd = new SgdOptimizer([p], new OptimizerConfig(OptimizerKind.Sgd, Momentum: 0.9));
        double[] expected = [0.9, 0.71, 0.439];
        foreach (var e in expected)
        {
            sgd.Step(0.1);
            Assert.Equal(e, p.Value.ToFloat64Array()[0], 1e-12);
        }
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd, 0.0, 0.0, false)]
    [InlineData(OptimizerKind.Sgd, 0.9, 0.01, false)]
    [InlineData(OptimizerKind.Sgd, 0.8, 0.0, true)]
    [InlineData(OptimizerKind.Adam, 0.0, 0.0, false)]
    [InlineData(OptimizerKind.Adam, 0.0, 0.05, false)]
    [InlineData(OptimizerKind.AdamW, 0.0, 0.05, false)]
    [InlineData(OptimizerKind.RmsProp, 0.0, 0.0, false)]
    [InlineData(OptimizerKind.RmsProp, 0.7, 0.02, false)]
    public void UpdatesMatchTheRuleWrittenOutPerElement(OptimizerKind kind, double momentum, double weightDecay, bool nesterov)
    {
        var rng = TestRandom.Create();
        const int n = 7, steps = 4;
        const double lr = 0.03;
        var config = new OptimizerConfig(kind, momentum, weightDecay, Beta1: 0.8, Beta2: 0.95, Epsilon: 1e-6, Alpha: 0.9, Nesterov: nesterov);
        var value = TestRandom.Uniform(rng, n);
        var p = NewParameter(value, new double[n]);
        using var optimizer = Optimizer.Create([p], config);

        var expected = (double[])value.Clone();
        double[] buf1 = new double[n], buf2 = new double[n];
        for (var step = 1; step <= steps; step++)
        {
            var g = TestRandom.Uniform(rng, n);
            TensorExtensions.Upload(p.Gradient, g);
            optimizer.Step(lr);
            for (var i = 0; i < n; i++) expected[i] = Reference(kind, config, expected[i], g[i], ref buf1[i], ref buf2[i], lr, step);
        }
        Tolerance.AssertClose(p.Value.ToFloat64Array(), expected, Tolerance.Exact64, $"{kind} after {steps} steps");
    }

    /// <summary>PyTorch's documented update of one element.</summary>
    private static double Reference(OptimizerKind kind, OptimizerConfig c, double p, double g, ref double s1, ref double s2, double lr, int t)
    {
        var wd = c.EffectiveWeightDecay;
        switch (kind)
        {
            case OptimizerKind.Sgd:
                g += wd * p;
                if (c.Momentum > 0)
                {
                    s1 = t == 1 ? g : c.Momentum * s1 + g;
                    g = c.Nesterov ? g + c.Momentum * s1 : s1;
                }
                return p - lr * g;
            case OptimizerKind.RmsProp:
                g += wd * p;
                s1 = c.Alpha * s1 + (1 - c.Alpha) * g * g;
                var avg = Math.Sqrt(s1) + c.Epsilon;
                if (c.Momentum > 0)
                {
                    s2 = c.Momentum * s2 + g / avg;
                    return p - lr * s2;
                }
                return p - lr * g / avg;
            default:
                if (kind == OptimizerKind.AdamW) p *= 1 - lr * wd;
                else g += wd * p;
                s1 = c.Beta1 * s1 + (1 - c.Beta1) * g;
                s2 = c.Beta2 * s2 + (1 - c.Beta2) * g * g;
                var mHat = s1 / (1 - Math.Pow(c.Beta1, t));
                var vHat = s2 / (1 - Math.Pow(c.Beta2, t));
                return p - lr * mHat / (Math.Sqrt(vHat) + c.Epsilon);
        }
    }

    [Fact]
    public void StateTensorsAreNamedAsPyTorchNamesThem()
    {
        var p = NewParameter([1.0], [1.0], "rnn.weight_hh_l0");
        using var adam = Optimizer.Create([p], new OptimizerConfig(OptimizerKind.Adam));
        Assert.Equal(["rnn.weight_hh_l0.exp_avg", "rnn.weight_hh_l0.exp_avg_sq"], adam.State.Select(s => s.Key));
        using var sgd = Optimizer.Create([p], new OptimizerConfig(OptimizerKind.Sgd, Momentum: 0.5));
        Assert.Equal(["rnn.weight_hh_l0.momentum_buffer"], sgd.State.Select(s => s.Key));
        using var plain = Optimizer.Create([p], new OptimizerConfig(OptimizerKind.Sgd));
        Assert.Empty(plain.State);
    }

    [Fact]
    public void InvalidHyperParametersAreRefusedByName()
    {
        Assert.Contains("momentum", Assert.Throws<ArgumentException>(() => new OptimizerConfig(OptimizerKind.Sgd, Momentum: 1.5).Validate()).Message);
        Assert.Contains("beta2", Assert.Throws<ArgumentException>(() => new OptimizerConfig(Beta2: 1).Validate()).Message);
        Assert.Contains("unknown optimizer 'lbfgs'", Assert.Throws<ArgumentException>(() => OptimizerConfig.ParseKind("lbfgs")).Message);
    }
}
