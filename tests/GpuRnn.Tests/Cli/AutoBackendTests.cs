using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// <c>--backend auto</c> says which backend it took and, when CUDA is installed but cannot run
/// here, why not: checked against this machine's own probe, whichever way it answers.
/// </summary>
public class AutoBackendTests
{
    [Fact]
    public void PassedOverNamesEachPreferredBackendThatCannotRunWithItsReason()
    {
        var infos = Backend.Probe();
        var passed = Backend.PassedOver("cpu");
        foreach (var name in Backend.AutoOrder.TakeWhile(n => n != "cpu"))
        {
            var info = infos.FirstOrDefault(i => i.Name == name);
            if (info is { IsAvailable: false, UnavailableReason: { } reason })
                Assert.Contains($"{name}: {reason}", passed);
            else
                Assert.DoesNotContain(passed, l => l.StartsWith(name + ":", StringComparison.Ordinal));
        }
        Assert.Empty(Backend.PassedOver(Backend.AutoOrder[0]));
    }

    [Fact]
    public void TrainOnAutoSaysWhyCudaWasNotTaken()
    {
        using var folder = new IO.TempFolder();
        var result = Gpurnn.Run("train", "--backend", "auto", "--steps", "1", "--eval-every", "0", "--sample-length", "0",
            "--hidden", "8", "--embedding", "4", "--batch", "2", "--seq", "4", "--out", folder.File("model.safetensors"));

        result.AssertSucceeded();
        var cuda = Backend.Probe().FirstOrDefault(i => i.Name == "cuda");
        var chosen = Backend.Create("auto");
        var expected = chosen.Name != "cuda" && cuda is { IsAvailable: false, UnavailableReason: { } reason }
            ? $"(auto did not take cuda: {reason})" : null;
        chosen.Dispose();
        if (expected is null) Assert.DoesNotContain("auto did not take", result.Out);
        else Assert.Contains(expected, result.Out);
    }
}
