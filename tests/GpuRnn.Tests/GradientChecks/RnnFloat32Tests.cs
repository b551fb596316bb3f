using Xunit;

namespace GpuRnn.Tests.GradientChecks;

/// <summary>
/// The float32 recurrent path (eight-lane gate math, packed GEMM) at sizes that run vector bodies
/// and tails, against what the float64 checks have established: the naive reference's forward,
/// and the float64 gradients that finite differences verify.
/// </summary>
public class RnnFloat32Tests
{
    public static TheoryData<CellVariant, int, bool, bool, bool, bool> Configurations => RnnCase.Configurations;

    [Theory, MemberData(nameof(Configurations))]
    public void Float32ForwardMatchesTheNaiveReference(CellVariant cell, int layers, bool bidirectional, bool bias, bool variableLengths, bool initialStates)
    {
        using var problem = RecurrentProblem.CreateWide(new(cell, layers, bidirectional, bias, variableLengths, initialStates), TestRandom.Create(), DType.Float32);
        var (y, hN, cN) = problem.Forward();
        var expected = problem.Reference();
        Tolerance.AssertClose(y, expected.Output, Tolerance.Forward32, $"{problem.Description}: y");
        Tolerance.AssertClose(hN, expected.Hidden, Tolerance.Forward32, $"{problem.Description}: hN");
        if (expected.Cell is not null) Tolerance.AssertClose(cN!, expected.Cell, Tolerance.Forward32, $"{problem.Description}: cN");
    }

    [Theory, MemberData(nameof(Configurations))]
    public void Float32GradientsMatchFloat64GradientsOfTheSameValues(CellVariant cell, int layers, bool bidirectional, bool bias, bool variableLengths, bool initialStates)
    {
        using var single = RecurrentProblem.CreateWide(new(cell, layers, bidirectional, bias, variableLengths, initialStates), TestRandom.Create(), DType.Float32);
        using var twin = single.WithDType(DType.Float64);
        var actual = single.AnalyticGradients();
        var expected = twin.AnalyticGradients();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, gradient) in expected)
            Tolerance.AssertClose(actual[name], gradient, Tolerance.Gradient32, $"{single.Description}: d loss / d {name}");
    }
}
