using GpuRnn.Tests.Ops;
using Xunit;

namespace GpuRnn.Tests.GradientChecks;

/// <summary>
/// The recurrent forward of every cell and option against the naive float64 reference, and the
/// packed-sequence rules checked on their own: zeros past each sequence's end, final states
/// taken at each sequence's own last step.
/// </summary>
public class RnnForwardTests
{
    public static TheoryData<CellVariant, int, bool, bool, bool, bool> Configurations => RnnCase.Configurations;

    public static TheoryData<CellVariant, int, bool, bool, bool, bool> VariableLengthConfigurations => RnnCase.VariableLengthConfigurations;

    [Theory, MemberData(nameof(Configurations))]
    public void ForwardMatchesTheNaiveReference(CellVariant cell, int layers, bool bidirectional, bool bias, bool variableLengths, bool initialStates)
    {
        using var problem = RecurrentProblem.Create(new(cell, layers, bidirectional, bias, variableLengths, initialStates), TestRandom.Create());
        var (y, hN, cN) = problem.Forward();
        var expected = problem.Reference();
        Tolerance.AssertClose(y, expected.Output, Tolerance.Exact64, $"{problem.Description}: y");
        Tolerance.AssertClose(hN, expected.Hidden, Tolerance.Exact64, $"{problem.Description}: hN");
        if (expected.Cell is not null)
        {
            Assert.NotNull(cN);
            Tolerance.AssertClose(cN, expected.Cell, Tolerance.Exact64, $"{problem.Description}: cN");
        }
        else Assert.Null(cN);
    }

    [Theory, MemberData(nameof(Configurations))]
    public void TrainingForwardGivesTheSameResultsAsInference(CellVariant cell, int layers, bool bidirectional, bool bias, bool variableLengths, bool initialStates)
    {
        using var problem = RecurrentProblem.Create(new(cell, layers, bidirectional, bias, variableLengths, initialStates), TestRandom.Create());
        var inference = problem.Forward();
        var training = problem.Forward(training: true);
        OpCases.AssertIdentical(training.Output, inference.Output, $"{problem.Description}: y");
        OpCases.AssertIdentical(training.Hidden, inference.Hidden, $"{problem.Description}: hN");
        if (inference.Cell is not null) OpCases.AssertIdentical(training.Cell!, inference.Cell, $"{problem.Description}: cN");
    }

    [Theory, MemberData(nameof(VariableLengthConfigurations))]
    public void OutputsPastEachSequencesEndAreExactlyZero(CellVariant cell, int layers, bool bidirectional, bool bias, bool variableLengths, bool initialStates)
    {
        using var problem = RecurrentProblem.Create(new(cell, layers, bidirectional, bias, variableLengths, initialStates), TestRandom.Create());
        var (y, _, _) = problem.Forward();
        var width = problem.Spec.OutputSize;
        for (var b = 0; b < problem.Batch; b++)
            for (var t = problem.LengthValues[b]; t < problem.Steps; t++)
                for (var f = 0; f < width; f++)
                {
                    var v = y[(t * problem.Batch + b) * width + f];
                    Assert.True(v == 0, $"{problem.Description}: y[{t}, {b}, {f}] is {v:E3} past the sequence's end (length {problem.LengthValues[b]})");
                }
    }

    [Theory, MemberData(nameof(Configurations))]
    public void FinalHiddenStateIsTheOutputAtEachSequencesLastStepForwardAndAtStepZeroInReverse(CellVariant cell, int layers, bool bidirectional, bool bias, bool variableLengths, bool initialStates)
    {
        using var problem = RecurrentProblem.Create(new(cell, layers, bidirectional, bias, variableLengths, initialStates), TestRandom.Create());
        var (y, hN, _) = problem.Forward();
        int p = problem.Spec.StateSize, dirs = problem.Spec.Directions, batch = problem.Batch, top = problem.Spec.NumLayers - 1;
        for (var b = 0; b < batch; b++)
            for (var d = 0; d < dirs; d++)
            {
                // The forward direction ends at the sequence's own last step; the reverse one at step 0.
                var t = d == 0 ? problem.LengthValues[b] - 1 : 0;
                var final = hN.AsSpan(((top * dirs + d) * batch + b) * p, p);
                var output = y.AsSpan((t * batch + b) * dirs * p + d * p, p);
                OpCases.AssertIdentical(final.ToArray(), output.ToArray(), $"{problem.Description}: hN of layer {top}, direction {d}, sequence {b} against y[{t}, {b}]");
            }
    }
}
