using Xunit;

namespace GpuRnn.Tests.GradientChecks;

/// <summary>
/// Central finite differences in float64, element by element, and the comparison of an analytic
/// gradient with them: the whole tensor within <see cref="Tolerance.FiniteDifference"/> (relative)
/// and every element on its own, so one wrong element cannot hide inside a large norm.
/// </summary>
public static class GradientChecker
{
    /// <summary>
    /// Step of the central difference. Its truncation error is about Step^2 * f''' / 6 (~1e-12)
    /// and its rounding error about 1e-16 * |loss| / Step (~1e-10 for the losses used here).
    /// </summary>
    public const double Step = 1e-6;

    /// <summary>
    /// Elements smaller than this are held to an absolute error of
    /// <see cref="Tolerance.FiniteDifference"/> * ElementFloor (1e-8) instead of a relative one,
    /// because the numeric derivative itself carries ~1e-10 of rounding noise.
    /// </summary>
    public const double ElementFloor = 1e-2;

    /// <summary>
    /// d loss / d values[i] for every i by (loss(v + h) - loss(v - h)) / 2h. <paramref name="apply"/>
    /// puts a set of values in place (e.g. uploads them into a tensor); the original values are
    /// put back at the end.
    /// </summary>
    public static double[] Numeric(double[] values, Action<double[]> apply, Func<double> loss)
    {
        var x = (double[])values.Clone();
        var gradient = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var v = x[i];
            double up = v + Step, down = v - Step;
            x[i] = up;
            apply(x);
            var plus = loss();
            x[i] = down;
            apply(x);
            var minus = loss();
            x[i] = v;
            // The step actually taken, (up - down), differs from 2h by rounding; dividing by it removes that error.
            gradient[i] = (plus - minus) / (up - down);
        }
        apply(x);
        return gradient;
    }

    /// <summary>Numeric gradient of <paramref name="loss"/> with respect to every element of a float64 tensor.</summary>
    public static double[] Numeric(Tensor tensor, Func<double> loss)
    {
        Assert.Equal(DType.Float64, tensor.DType);
        return Numeric(tensor.ToFloat64Array(), v => TensorExtensions.Upload(tensor, v), loss);
    }

    /// <summary>
    /// Asserts the analytic gradient matches the numeric one as a whole (relative error) and
    /// element by element (relative above <see cref="ElementFloor"/>, absolute below it).
    /// </summary>
    public static void AssertMatches(ReadOnlySpan<double> analytic, ReadOnlySpan<double> numeric, string what)
    {
        Tolerance.AssertClose(analytic, numeric, Tolerance.FiniteDifference, $"{what} (whole tensor)");
        var worst = -1;
        var worstRatio = 1.0;
        for (var i = 0; i < analytic.Length; i++)
        {
            var allowed = Tolerance.FiniteDifference * Math.Max(Math.Abs(numeric[i]), ElementFloor);
            var ratio = Math.Abs(analytic[i] - numeric[i]) / allowed;
            if (ratio > worstRatio) { worstRatio = ratio; worst = i; }
        }
        if (worst >= 0)
            Assert.Fail($"{what}: element {worst} is {analytic[worst]:E6} analytically but {numeric[worst]:E6} by finite differences " +
                $"(error {Math.Abs(analytic[worst] - numeric[worst]):E2}, {worstRatio:F1} times the allowed; seed {TestRandom.Seed})");
    }
}
