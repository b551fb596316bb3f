using System.Globalization;
using System.Text;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// The lines of <c>gpurnn train</c> that its one training path asks of the task: the character
/// model's data line, unigram entropy and sample (its own hooks), and a task's parameter count,
/// each checked against a count made here from the file and the checkpoint.
/// </summary>
public sealed class TrainSummaryTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void TheCharacterModelDescribesItsTextAndComparesWithTheUnigramEntropy()
    {
        var seed = (ulong)Random.Shared.Next(1, 1 << 30);
        var text = ArithmeticCorpus.Generate(seed, 300) + "xyz\n";
        var data = _folder.File("text.txt");
        File.WriteAllText(data, text);
        var result = Gpurnn.Run(["train", "--data", data, "--steps", "2", "--eval-every", "0", "--out", _folder.File("m.safetensors"), .. TrainCommandTests.Tiny]);
        result.AssertSucceeded();

        // The first 90% of the characters train, as TextCorpus splits them.
        var runes = text.EnumerateRunes().Select(r => r.ToString()).ToArray();
        var train = runes.Length * 9 / 10;
        var distinct = runes.Distinct().Count();
        Assert.Contains(I($"data: data file '{data}': {runes.Length:N0} characters ({train:N0} train, {runes.Length - train:N0} validation), {distinct} distinct"), result.Out);
        var bits = runes[..train].GroupBy(r => r).Sum(g => -(double)g.Count() / train * Math.Log2((double)g.Count() / train));
        Assert.Contains(I($"for comparison, the unigram entropy of the text is {bits:F3} bits/char (a model that ignores context)"), result.Out);
        Assert.Contains("sample (temperature 0.8):", result.Out);
        // A text of its own is not the arithmetic corpus: no perfect-model line, no arithmetic check.
        Assert.DoesNotContain("a perfect model needs", result.Out);
        Assert.DoesNotContain("arithmetic check", result.Out);
        Assert.DoesNotContain("parameters: ", result.Out);
    }

    [Fact]
    public void ATaskCountsItsParametersAndPrintsNoSample()
    {
        var checkpoint = _folder.File("copy.safetensors");
        var result = Gpurnn.Run(["train", "--task", "copy", "--steps", "2", "--hidden", "6", "--length", "4", "--out", checkpoint, "--backend", "cpu"]);
        result.AssertSucceeded();
        var saved = GpuRnn.IO.Checkpoint.Load(checkpoint);
        var expected = new ExpectedTensors().AddTaskModel(saved.Spec);
        Assert.Contains(I($"parameters: {expected.ElementCount:N0}"), result.Out);
        Assert.Contains(I($"training: 2 steps of {TaskDefaultsBatch} examples, "), result.Out);
        Assert.DoesNotContain("sample (temperature", result.Out);
        Assert.DoesNotContain("unigram entropy", result.Out);
    }

    private const int TaskDefaultsBatch = 32;

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
