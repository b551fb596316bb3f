using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Tasks;

/// <summary>
/// The one <see cref="Evaluator"/> judges a character model as its task does: the windows of a text
/// evaluated as one text with the state carried, compared with the loss summed here one character
/// at a time in float64 from the model's next-character logits.
/// </summary>
public sealed class CharLmEvaluationTests
{
    private static readonly CpuBackend Cpu = new();

    [Theory]
    [InlineData(RnnCellKind.Lstm)]
    [InlineData(RnnCellKind.Gru)]
    [InlineData(RnnCellKind.RnnTanh)]
    public void WindowsOfATextAreEvaluatedAsOneTextWithTheStateCarried(RnnCellKind cell)
    {
        var rng = TestRandom.Create();
        var vocabulary = rng.Next(3, 9);
        var architecture = new CharModelSpec(cell, vocabulary, rng.Next(2, 5), rng.Next(3, 7));
        using var model = new CharRnnModel(Cpu, CharLmTask.Spec(architecture), (ulong)rng.Next(), DType.Float64);
        var ids = Enumerable.Range(0, rng.Next(30, 60)).Select(_ => rng.Next(vocabulary)).ToArray();
        var window = rng.Next(2, 9);

        // One stream: each next character predicted from the state of everything before it.
        var expected = 0.0;
        using (var state = model.CreateState(1))
        {
            for (var t = 0; t + 1 < ids.Length; t++)
            {
                var logits = model.NextLogits(ids.AsSpan(t, 1), 1, state);
                var max = logits.Max();
                var logSum = max + Math.Log(logits.Sum(z => Math.Exp(z - max)));
                expected += logSum - logits[ids[t + 1]];
            }
        }

        var report = Evaluator.Evaluate(model, TaskExamples.Windows(ids, window), batch: 1);
        Assert.Equal(ids.Length - 1, report.Loss.Count);
        Assert.Equal(expected, report.Loss.LossSum, 1e-9 * Math.Max(1, expected));
        Assert.Equal(report.Loss.BitsPerCharacter, report.Score);
        // The task's judgement is the stream evaluation of the same text.
        Assert.Equal(CharLmTask.EvaluateText(model, ids, 1, window), report.Loss);
    }

    [Fact]
    public void ExamplesThatAreNotConsecutiveWindowsAreRefused()
    {
        var rng = TestRandom.Create();
        using var model = new CharRnnModel(Cpu, new CharModelSpec(RnnCellKind.Lstm, 4, 3, 5), (ulong)rng.Next());
        var ids = Enumerable.Range(0, 40).Select(_ => rng.Next(4)).ToArray();
        var windows = TaskExamples.Windows(ids, 8).ToList();
        // The third window out of place: it no longer continues the second.
        (windows[2], windows[3]) = (windows[3], windows[2]);
        if (windows[1].Targets![^1] == windows[2].Tokens![0]) windows[2] = windows[2] with { Tokens = [.. windows[2].Tokens!.Select(t => (t + 1) % 4)] };
        var error = Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(model, windows, 4));
        Assert.Contains("consecutive windows of one text", error.Message);
    }
}
