using Xunit;

namespace GpuRnn.Tests;

/// <summary>
/// The project's tolerances in one place, as relative errors ||a - b|| / ||b|| (DESIGN.md: matched
/// means 1e-5 for forward outputs and 1e-4 for gradients between float32 backends).
/// </summary>
public static class Tolerance
{
    /// <summary>Forward outputs between float32 backends, and float32 against PyTorch.</summary>
    public const double Forward32 = 1e-5;

    /// <summary>Gradients between float32 backends, and float32 gradients against PyTorch.</summary>
    public const double Gradient32 = 1e-4;

    /// <summary>Float64 results against PyTorch's float64.</summary>
    public const double Exact64 = 1e-9;

    /// <summary>Float64 analytic gradients against central finite differences.</summary>
    public const double FiniteDifference = 1e-6;

    /// <summary>
    /// Gradient values and tensor norms below this are held to an absolute error of
    /// FiniteDifference * FiniteDifferenceNoiseFloor (1e-9) instead of a relative one: the
    /// difference quotient's own rounding noise (about 1e-11) would otherwise dominate tiny gradients.
    /// </summary>
    public const double FiniteDifferenceNoiseFloor = 1e-3;

    /// <summary>||actual - expected|| / ||expected||, or ||actual|| when expected is all zeros.</summary>
    public static double RelativeError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            var d = actual[i] - expected[i];
            diff += d * d;
            norm += expected[i] * expected[i];
        }
        return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
    }

    /// <summary>Asserts the relative error is within <paramref name="tolerance"/>, naming what was compared and the seed.</summary>
    public static void AssertClose(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double tolerance, string what)
    {
        foreach (var v in actual)
        {
            if (!double.IsFinite(v)) Assert.Fail($"{what}: result contains {v}");
        }
        var err = RelativeError(actual, expected);
        Assert.True(err <= tolerance, $"{what}: relative error {err:E3} exceeds {tolerance:E1} (seed {TestRandom.Seed})");
    }
}
