using Xunit;

namespace GpuRnn.Tests.Ops;

/// <summary>
/// What the backend-agnostic operation tests share: every backend crossed with both float
/// dtypes, a skip (with its reason) where a backend does not compute in a dtype, and uploads
/// whose reference values are the ones the device actually holds (rounded to float32 when the
/// tensor is float32), so the float64 reference starts from identical inputs.
/// </summary>
public static class OpCases
{
    /// <summary>Every backend name from <see cref="TestBackends.Names"/> with float32 and float64 (those it computes in, see <see cref="TestBackends.Lists"/>).</summary>
    public static TheoryData<string, DType> NamesAndTypes
    {
        get
        {
            var data = new TheoryData<string, DType>();
            foreach (var row in TestBackends.Names)
            {
                foreach (var dtype in (DType[])[DType.Float32, DType.Float64])
                    if (TestBackends.Lists(row.Data, dtype)) data.Add(row.Data, dtype);
            }
            return data;
        }
    }

    /// <summary>The backend, skipping the test (with the reason) when it is absent or lacks <paramref name="dtype"/>.</summary>
    public static IBackend Backend(string name, DType dtype)
    {
        var backend = TestBackends.Get(name);
        Assert.SkipUnless(backend.Supports(dtype), $"backend '{name}' does not compute in {dtype.DisplayName()}");
        return backend;
    }

    /// <summary>Forward tolerance of a result computed in <paramref name="dtype"/> against a float64 reference.</summary>
    public static double ForwardTolerance(DType dtype) => dtype == DType.Float64 ? Tolerance.Exact64 : Tolerance.Forward32;

    /// <summary>The values as a tensor of <paramref name="dtype"/> would hold them (float32 rounds).</summary>
    public static double[] Rounded(double[] values, DType dtype) =>
        dtype == DType.Float32 ? Array.ConvertAll(values, v => (double)(float)v) : (double[])values.Clone();

    /// <summary>
    /// Draws uniform values in [-scale, scale), uploads them as <paramref name="dtype"/>, and
    /// returns the tensor with the values it holds.
    /// </summary>
    public static (Tensor Tensor, double[] Values) Random(IBackend backend, Random rng, Shape shape, DType dtype, double scale = 1)
    {
        var values = Rounded(TestRandom.Uniform(rng, shape.ElementCount, scale), dtype);
        return (Upload(backend, values, shape, dtype), values);
    }

    /// <summary>Uploads float64 values as a new tensor of <paramref name="dtype"/>.</summary>
    public static Tensor Upload(IBackend backend, double[] values, Shape shape, DType dtype) =>
        HostTensor.FromArray(values, shape).ConvertTo(dtype).ToDevice(backend);

    /// <summary>
    /// For sums, whose rounding error is bounded by the sum of |terms| rather than by |result|:
    /// asserts ||actual - expected|| &lt;= tolerance * ||termMagnitude||, where termMagnitude[i] is
    /// the sum of the absolute values of the terms added into element i. A plain relative check
    /// would fail on a result that happens to cancel to near zero.
    /// </summary>
    public static void AssertSumClose(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, ReadOnlySpan<double> termMagnitude,
        double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = 0, scale = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            if (!double.IsFinite(actual[i])) Assert.Fail($"{what}: element {i} is {actual[i]} (seed {TestRandom.Seed})");
            difference += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            scale += termMagnitude[i] * termMagnitude[i];
        }
        var error = Math.Sqrt(difference / scale);
        Assert.True(error <= tolerance, $"{what}: error {error:E3} relative to the terms' magnitude exceeds {tolerance:E1} (seed {TestRandom.Seed})");
    }

    /// <summary>Asserts bit-for-bit equality (NaN equal to NaN), naming the first differing element.</summary>
    public static void AssertIdentical(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < actual.Length; i++)
        {
            if (!actual[i].Equals(expected[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R} but {expected[i]:R} was expected (seed {TestRandom.Seed})");
        }
    }

    /// <summary>A second dtype the backend supports beside <paramref name="dtype"/>, or a skip.</summary>
    public static DType OtherFloat(IBackend backend, DType dtype)
    {
        var other = dtype == DType.Float32 ? DType.Float64 : DType.Float32;
        Assert.SkipUnless(backend.Supports(other), $"backend '{backend.Name}' has only one float dtype, so dtypes cannot be mixed");
        return other;
    }
}
