using Xunit;

namespace GpuRnn.Tests.GradientChecks;

/// <summary>
/// Backpropagation through time of every cell and option, through the public <see cref="RnnStack"/>
/// API in float64, against central finite differences over every element of every weight, x,
/// h0 and c0.
/// </summary>
public class RnnGradientTests
{
    public static TheoryData<CellVariant, int, bool, bool, bool, bool> Configurations => RnnCase.Configurations;

    public static TheoryData<CellVariant, int, bool, bool, bool, bool> VariableLengthConfigurations => RnnCase.VariableLengthConfigurations;

    public static TheoryData<CellVariant> Cells => new(Enum.GetValues<CellVariant>());

    [Theory, MemberData(nameof(Configurations))]
    public void EveryGradientMatchesCentralFiniteDifferences(CellVariant cell, int layers, bool bidirectional, bool bias, bool variableLengths, bool initialStates)
    {
        using var problem = RecurrentProblem.Create(new(cell, layers, bidirectional, bias, variableLengths, initialStates), TestRandom.Create());
        problem.AssertGradientsMatchFiniteDifferences();
    }

    [Theory, MemberData(nameof(VariableLengthConfigurations))]
    public void InputGradientIsExactlyZeroPastEachSequencesEnd(CellVariant cell, int layers, bool bidirectional, bool bias, bool variableLengths, bool initialStates)
    {
        using var problem = RecurrentProblem.Create(new(cell, layers, bidirectional, bias, variableLengths, initialStates), TestRandom.Create());
        var dx = problem.AnalyticGradients()["x"];
        var inputSize = problem.Spec.InputSize;
        for (var b = 0; b < problem.Batch; b++)
            for (var t = problem.LengthValues[b]; t < problem.Steps; t++)
                for (var i = 0; i < inputSize; i++)
                {
                    var v = dx[(t * problem.Batch + b) * inputSize + i];
                    Assert.True(v == 0, $"{problem.Description}: dx[{t}, {b}, {i}] is {v:E3} past the sequence's end (length {problem.LengthValues[b]})");
                }
    }

    [Theory, MemberData(nameof(Cells))]
    public void ParameterGradientsAccumulateAcrossBackwardCalls(CellVariant cell)
    {
        using var problem = RecurrentProblem.Create(new(cell, 2, true, true, true, true), TestRandom.Create());
        var once = problem.AnalyticGradients();
        var twice = problem.AnalyticGradients(accumulate: true);
        foreach (var p in problem.Stack.Parameters)
        {
            var doubled = Array.ConvertAll(once[p.Name], v => 2 * v);
            Tolerance.AssertClose(twice[p.Name], doubled, Tolerance.Exact64, $"{problem.Description}: {p.Name} after two backward calls");
        }
        // dx, dh0 and dc0 are overwritten, not accumulated.
        foreach (var name in new[] { "x", "h0", "c0" })
        {
            if (once.TryGetValue(name, out var first)) Tolerance.AssertClose(twice[name], first, Tolerance.Exact64, $"{problem.Description}: d{name} of the second call");
        }
    }
}
