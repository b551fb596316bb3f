using GpuRnn.Tests.GradientChecks;
using Xunit;

namespace GpuRnn.Tests.Ops;

/// <summary>
/// Softmax cross-entropy: loss against a direct log-softmax, gradient against finite differences,
/// padding rows (target -1) ignored, the correct-count statistic, and the in-place form.
/// </summary>
public class SoftmaxCrossEntropyTests
{
    public static TheoryData<string, DType> Cases => OpCases.NamesAndTypes;

    public static TheoryData<string> Backends => TestBackends.Names;

    private const int Rows = 9;
    private const int Classes = 7;

    [Theory, MemberData(nameof(Cases))]
    public void LossAndStatsMatchADirectLogSoftmax(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        var (logits, z) = OpCases.Random(backend, rng, new Shape(Rows, Classes), dtype, scale: 3);
        using var _ = logits;
        var targets = Targets(rng, z);
        using var targetTensor = targets.ToDevice(backend, new Shape(Rows));
        using var stats = backend.Allocate(new Shape(3), dtype);
        backend.SoftmaxCrossEntropy(logits, targetTensor, null, 1, stats);

        var (loss, correct, counted) = Reference(z, targets);
        var s = stats.ToFloat64Array();
        Tolerance.AssertClose([s[0]], [loss], OpCases.ForwardTolerance(dtype), "cross-entropy loss sum");
        Assert.Equal(correct, s[1]);
        Assert.Equal(counted, s[2]);
    }

    [Theory, MemberData(nameof(Cases))]
    public void GradientIsSoftmaxMinusOneHotTimesTheScaleAndZeroOnIgnoredRows(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        var (logits, z) = OpCases.Random(backend, rng, new Shape(Rows, Classes), dtype, scale: 3);
        using var _ = logits;
        var targets = Targets(rng, z);
        using var targetTensor = targets.ToDevice(backend, new Shape(Rows));
        using var stats = backend.Allocate(new Shape(3), dtype);
        using var dLogits = backend.Allocate(new Shape(Rows, Classes), dtype);
        backend.Fill(dLogits, double.NaN);
        var scale = OpCases.Rounded([0.5 + rng.NextDouble()], dtype)[0];
        backend.SoftmaxCrossEntropy(logits, targetTensor, dLogits, scale, stats);

        var expected = new double[Rows * Classes];
        for (var r = 0; r < Rows; r++)
        {
            if (targets[r] < 0) continue;
            var sum = 0.0;
            for (var j = 0; j < Classes; j++) sum += Math.Exp(z[r * Classes + j]);
            for (var j = 0; j < Classes; j++)
                expected[r * Classes + j] = (Math.Exp(z[r * Classes + j]) / sum - (j == targets[r] ? 1 : 0)) * scale;
        }
        var actual = dLogits.ToFloat64Array();
        Tolerance.AssertClose(actual, expected, OpCases.ForwardTolerance(dtype), "cross-entropy gradient");
        for (var r = 0; r < Rows; r++)
        {
            if (targets[r] >= 0) continue;
            for (var j = 0; j < Classes; j++) Assert.Equal(0.0, actual[r * Classes + j]);
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void GradientMatchesFiniteDifferencesOfTheLossInFloat64(string backendName)
    {
        var backend = OpCases.Backend(backendName, DType.Float64);
        var rng = TestRandom.Create();
        var (logits, _) = OpCases.Random(backend, rng, new Shape(Rows, Classes), DType.Float64, scale: 3);
        using var __ = logits;
        var targets = Targets(rng, logits.ToFloat64Array());
        using var targetTensor = targets.ToDevice(backend, new Shape(Rows));
        using var stats = backend.Allocate(new Shape(3), DType.Float64);
        using var dLogits = backend.Allocate(new Shape(Rows, Classes), DType.Float64);
        const double scale = 1.0 / Rows;
        backend.SoftmaxCrossEntropy(logits, targetTensor, dLogits, scale, stats);
        var analytic = dLogits.ToFloat64Array();

        double MeanLoss()
        {
            backend.SoftmaxCrossEntropy(logits, targetTensor, null, scale, stats);
            return stats.ToFloat64Array()[0] * scale;
        }
        GradientChecker.AssertMatches(analytic, GradientChecker.Numeric(logits, MeanLoss), "cross-entropy d loss / d logits");
    }

    [Theory, MemberData(nameof(Cases))]
    public void GradientMayOverwriteTheLogitsInPlace(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        var (logits, z) = OpCases.Random(backend, rng, new Shape(Rows, Classes), dtype, scale: 3);
        using var _ = logits;
        var targets = Targets(rng, z);
        using var targetTensor = targets.ToDevice(backend, new Shape(Rows));
        using var separate = backend.Allocate(new Shape(Rows, Classes), dtype);
        using var separateStats = backend.Allocate(new Shape(3), dtype);
        using var inPlaceStats = backend.Allocate(new Shape(3), dtype);
        backend.SoftmaxCrossEntropy(logits, targetTensor, separate, 0.25, separateStats);
        backend.SoftmaxCrossEntropy(logits, targetTensor, logits, 0.25, inPlaceStats);

        var tolerance = OpCases.ForwardTolerance(dtype);
        Tolerance.AssertClose(logits.ToFloat64Array(), separate.ToFloat64Array(), tolerance, "gradient written over the logits");
        Tolerance.AssertClose(inPlaceStats.ToFloat64Array(), separateStats.ToFloat64Array(), tolerance, "stats of the in-place call");
    }

    [Theory, MemberData(nameof(Cases))]
    public void LargeLogitsGiveAFiniteLossEqualToTheShiftedOne(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        // exp(800) overflows both float types: the kernel must subtract the row maximum first.
        var z = OpCases.Rounded(Array.ConvertAll(TestRandom.Uniform(rng, Rows * Classes, 3), v => v + 800), dtype);
        using var logits = OpCases.Upload(backend, z, new Shape(Rows, Classes), dtype);
        var targets = Targets(rng, z);
        using var targetTensor = targets.ToDevice(backend, new Shape(Rows));
        using var stats = backend.Allocate(new Shape(3), dtype);
        backend.SoftmaxCrossEntropy(logits, targetTensor, null, 1, stats);
        var shifted = Array.ConvertAll(z, v => v - 800);
        Tolerance.AssertClose([stats.ToFloat64Array()[0]], [Reference(shifted, targets).Loss], OpCases.ForwardTolerance(dtype), "loss of logits near 800");
    }

    [Theory, MemberData(nameof(Cases))]
    public void BadTargetsAndStatsAreRefusedWithTheExpectedValue(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        using var logits = backend.Allocate(new Shape(Rows, Classes), dtype);
        using var stats = backend.Allocate(new Shape(3), dtype);
        using var shortTargets = new int[Rows - 1].ToDevice(backend, new Shape(Rows - 1));
        var count = Assert.ThrowsAny<ArgumentException>(() => backend.SoftmaxCrossEntropy(logits, shortTargets, null, 1, stats));
        Assert.Contains($"{Rows - 1}", count.Message);
        Assert.Contains($"{Rows}", count.Message);

        var outOfRange = new int[Rows];
        outOfRange[2] = Classes;
        using var badTargets = outOfRange.ToDevice(backend, new Shape(Rows));
        var range = Assert.ThrowsAny<ArgumentException>(() => backend.SoftmaxCrossEntropy(logits, badTargets, null, 1, stats));
        Assert.Contains($"[0, {Classes})", range.Message);

        using var targets = new int[Rows].ToDevice(backend, new Shape(Rows));
        using var wideStats = backend.Allocate(new Shape(4), dtype);
        var statsShape = Assert.ThrowsAny<ArgumentException>(() => backend.SoftmaxCrossEntropy(logits, targets, null, 1, wideStats));
        Assert.Contains("[3]", statsShape.Message);
        Assert.Contains("[4]", statsShape.Message);
    }

    /// <summary>
    /// Targets with two padding rows (-1), two rows whose target is their arg-max (so the correct
    /// count is tested above zero) and random classes elsewhere.
    /// </summary>
    private static int[] Targets(Random rng, double[] z)
    {
        var targets = new int[Rows];
        for (var r = 0; r < Rows; r++) targets[r] = rng.Next(Classes);
        targets[1] = -1;
        targets[Rows - 2] = -1;
        foreach (var r in new[] { 0, 4 })
        {
            var best = 0;
            for (var j = 1; j < Classes; j++) if (z[r * Classes + j] > z[r * Classes + best]) best = j;
            targets[r] = best;
        }
        return targets;
    }

    /// <summary>loss = sum over counted rows of log(sum_j exp z_j) - z_target; correct = rows whose arg-max is the target.</summary>
    private static (double Loss, double Correct, double Counted) Reference(double[] z, int[] targets)
    {
        double loss = 0, correct = 0, counted = 0;
        for (var r = 0; r < Rows; r++)
        {
            if (targets[r] < 0) continue;
            var sum = 0.0;
            var best = 0;
            for (var j = 0; j < Classes; j++)
            {
                sum += Math.Exp(z[r * Classes + j]);
                if (z[r * Classes + j] > z[r * Classes + best]) best = j;
            }
            loss += Math.Log(sum) - z[r * Classes + targets[r]];
            counted++;
            if (best == targets[r]) correct++;
        }
        return (loss, correct, counted);
    }
}
