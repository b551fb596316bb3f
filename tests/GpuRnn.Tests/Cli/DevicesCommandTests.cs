using GpuRnn.Cli;
using Xunit;

namespace GpuRnn.Tests.Cli;

public class DevicesCommandTests
{
    [Fact]
    public void DevicesListsEveryBackendWithItsAvailabilityAndReason()
    {
        var result = Gpurnn.Run("devices");

        result.AssertSucceeded();
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        foreach (var info in Backend.Probe())
        {
            var line = Assert.Single(lines, l => l.StartsWith(info.Name + " ", StringComparison.Ordinal));
            Assert.Contains(info.IsAvailable ? " available " : " unavailable ", line);
            Assert.Contains(info.Description, line);
            if (!info.IsAvailable && info.UnavailableReason is { Length: > 0 } reason) Assert.Contains(reason, line);
        }
        Assert.Contains(lines, l => l.StartsWith("cpu ", StringComparison.Ordinal) && l.Contains(" available ", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnknownCommandIsAUsageErrorOnOneLine()
    {
        var line = Gpurnn.Run("frobnicate").AssertFailed(ExitCodes.Usage);
        Assert.Contains("frobnicate", line);
    }
}
