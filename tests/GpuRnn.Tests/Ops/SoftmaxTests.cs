using Xunit;

namespace GpuRnn.Tests.Ops;

/// <summary>Softmax by rows with a sampling temperature, against exp(z / t) / sum exp(z / t).</summary>
public class SoftmaxTests
{
    public static TheoryData<string, DType> Cases => OpCases.NamesAndTypes;

    [Theory, MemberData(nameof(Cases))]
    public void ProbabilitiesAreExpOfLogitsOverTemperatureNormalisedByRow(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        const int rows = 5, classes = 11;
        var (logits, z) = OpCases.Random(backend, rng, new Shape(rows, classes), dtype, scale: 4);
        using var _ = logits;
        using var probabilities = backend.Allocate(new Shape(rows, classes), dtype);
        foreach (var temperature in new[] { 1.0, 0.5, 2.5 })
        {
            var t = OpCases.Rounded([temperature], dtype)[0];
            backend.Softmax(logits, probabilities, temperature);
            var expected = new double[rows * classes];
            for (var r = 0; r < rows; r++)
            {
                var sum = 0.0;
                for (var j = 0; j < classes; j++) sum += Math.Exp(z[r * classes + j] / t);
                for (var j = 0; j < classes; j++) expected[r * classes + j] = Math.Exp(z[r * classes + j] / t) / sum;
            }
            Tolerance.AssertClose(probabilities.ToFloat64Array(), expected, OpCases.ForwardTolerance(dtype), $"softmax at temperature {temperature}");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void ANonPositiveTemperatureIsRefusedNamingIt(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        using var logits = backend.Allocate(new Shape(2, 3), dtype);
        using var probabilities = backend.Allocate(new Shape(2, 3), dtype);
        foreach (var temperature in new[] { 0.0, -1.5 })
        {
            var e = Assert.ThrowsAny<ArgumentException>(() => backend.Softmax(logits, probabilities, temperature));
            Assert.Contains(temperature.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
        }
    }
}
