using GpuRnn.Tests.GradientChecks;
using Xunit;

namespace GpuRnn.Tests.Ops;

/// <summary>Squared error: the sum of (p - y)^2 and its gradient 2 (p - y) * scale.</summary>
public class MeanSquaredErrorTests
{
    public static TheoryData<string, DType> Cases => OpCases.NamesAndTypes;

    public static TheoryData<string> Backends => TestBackends.Names;

    [Theory, MemberData(nameof(Cases))]
    public void LossIsTheSumOfSquaredErrorsAndTheGradientTwiceTheErrorTimesTheScale(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        var (prediction, p) = OpCases.Random(backend, rng, new Shape(3, 13), dtype);
        var (target, y) = OpCases.Random(backend, rng, new Shape(3, 13), dtype);
        using var _ = prediction;
        using var __ = target;
        using var dPrediction = backend.Allocate(new Shape(3, 13), dtype);
        using var stats = backend.Allocate(new Shape(1), dtype);
        var scale = OpCases.Rounded([1.0 / 39], dtype)[0];
        backend.MeanSquaredError(prediction, target, dPrediction, 1.0 / 39, stats);

        double loss = 0;
        var gradient = new double[p.Length];
        for (var i = 0; i < p.Length; i++)
        {
            loss += (p[i] - y[i]) * (p[i] - y[i]);
            gradient[i] = 2 * (p[i] - y[i]) * scale;
        }
        var tolerance = OpCases.ForwardTolerance(dtype);
        Tolerance.AssertClose(stats.ToFloat64Array(), [loss], tolerance, "squared error sum");
        Tolerance.AssertClose(dPrediction.ToFloat64Array(), gradient, tolerance, "squared error gradient");
    }

    [Theory, MemberData(nameof(Backends))]
    public void GradientMatchesFiniteDifferencesOfTheMeanInFloat64(string backendName)
    {
        var backend = OpCases.Backend(backendName, DType.Float64);
        var rng = TestRandom.Create();
        var (prediction, _) = OpCases.Random(backend, rng, new Shape(17), DType.Float64);
        var (target, _) = OpCases.Random(backend, rng, new Shape(17), DType.Float64);
        using var __ = prediction;
        using var ___ = target;
        using var dPrediction = backend.Allocate(new Shape(17), DType.Float64);
        using var stats = backend.Allocate(new Shape(1), DType.Float64);
        backend.MeanSquaredError(prediction, target, dPrediction, 1.0 / 17, stats);
        var analytic = dPrediction.ToFloat64Array();

        double Mean()
        {
            backend.MeanSquaredError(prediction, target, null, 1.0 / 17, stats);
            return stats.ToFloat64Array()[0] / 17;
        }
        GradientChecker.AssertMatches(analytic, GradientChecker.Numeric(prediction, Mean), "mean squared error d loss / d prediction");
    }

    [Theory, MemberData(nameof(Cases))]
    public void MismatchedCountsAndStatsShapeAreRefused(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        using var prediction = backend.Allocate(new Shape(6), dtype);
        using var target = backend.Allocate(new Shape(5), dtype);
        using var stats = backend.Allocate(new Shape(1), dtype);
        var count = Assert.ThrowsAny<ArgumentException>(() => backend.MeanSquaredError(prediction, target, null, 1, stats));
        Assert.Contains("6", count.Message);
        Assert.Contains("5", count.Message);

        using var wideStats = backend.Allocate(new Shape(3), dtype);
        var statsShape = Assert.ThrowsAny<ArgumentException>(() => backend.MeanSquaredError(prediction, prediction, null, 1, wideStats));
        Assert.Contains("[1]", statsShape.Message);
        Assert.Contains("[3]", statsShape.Message);
    }
}
