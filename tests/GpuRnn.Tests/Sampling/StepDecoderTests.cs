using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Sampling;

/// <summary>
/// The character model's <see cref="IStepDecoder"/> (what the one <see cref="BeamSearch"/> drives):
/// after rows are reordered, each row's log-probabilities are those of its own history, read here
/// in one pass from a fresh state and normalised in float64.
/// </summary>
public sealed class StepDecoderTests
{
    private static readonly CpuBackend Cpu = new();

    [Theory]
    [InlineData(RnnCellKind.Lstm)]
    [InlineData(RnnCellKind.Gru)]
    public void ReorderedRowsContinueTheirParentsHistories(RnnCellKind cell)
    {
        var rng = TestRandom.Create();
        var v = rng.Next(3, 8);
        using var model = new CharRnnModel(Cpu, new CharModelSpec(cell, v, 3, rng.Next(3, 6)), (ulong)rng.Next(), DType.Float64);
        var prime = Enumerable.Range(0, rng.Next(0, 4)).Select(_ => rng.Next(v)).ToArray();
        const int rows = 3;
        // Distinct first tokens, so a row that kept its own state instead of its parent's reads another history.
        var first = Enumerable.Range(0, v).OrderBy(_ => rng.Next()).Take(rows).ToArray();
        var second = Enumerable.Range(0, rows).Select(_ => rng.Next(v)).ToArray();
        int[] parents = [2, 0, 1];

        using var session = model.Session(prime, rows);
        Assert.Equal(v, session.Vocabulary);
        Assert.Equal(rows, session.Rows);
        session.Next(new int[rows], first);
        var logProbabilities = session.Next(parents, second);

        for (var r = 0; r < rows; r++)
        {
            int[] history = [.. prime, first[parents[r]], second[r]];
            using var state = model.CreateState(1);
            var logits = model.NextLogits(history, history.Length, state);
            var max = logits.Max();
            var logSum = max + Math.Log(logits.Sum(z => Math.Exp(z - max)));
            Tolerance.AssertClose(logProbabilities[(r * v)..((r + 1) * v)], logits.Select(z => z - logSum).ToArray(), 1e-10, $"row {r} (parent {parents[r]})");
        }
    }
}
