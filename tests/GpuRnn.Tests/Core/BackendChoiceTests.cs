using Xunit;

namespace GpuRnn.Tests.Core;

/// <summary>
/// <c>name:K</c> parsing, its error lines, and the device a rank takes from its local rank, as
/// pure functions of fake environment values and device counts.
/// </summary>
public class BackendChoiceTests
{
    [Fact]
    public void ANameWithADeviceNumberKeepsBoth()
    {
        var random = TestRandom.Create();
        foreach (var name in new[] { "cuda", "opencl" })
        {
            var k = random.Next(0, 1000);
            Assert.Equal(new BackendChoice(name, k), BackendChoice.Parse($" {name.ToUpperInvariant()}:{k} "));
            Assert.Equal($"{name}:{k}", BackendChoice.Parse($"{name}:{k}").ToString());
            Assert.Equal(new BackendChoice(name, null), BackendChoice.Parse(name));
        }
        Assert.Equal(new BackendChoice("cpu", 0), BackendChoice.Parse("cpu:0"));
        Assert.Equal(new BackendChoice("ilgpu-cpu", 0), BackendChoice.Parse("ilgpu-cpu:0"));
    }

    [Theory]
    [InlineData("cuda:x", "must be a whole number 0 or more")]
    [InlineData("opencl:-1", "must be a whole number 0 or more")]
    [InlineData("cuda:", "must be a whole number 0 or more")]
    [InlineData("cuda:1:2", "must be a whole number 0 or more")]
    [InlineData("auto:0", "auto takes no device number")]
    [InlineData("cpu:1", "cpu has one device, so the device number must be 0 or left out, got 1")]
    [InlineData("ilgpu-cpu:2", "ilgpu-cpu has one device, so the device number must be 0 or left out, got 2")]
    public void AWrongDeviceNumberIsANameError(string text, string expected)
    {
        var e = Assert.Throws<BackendNameException>(() => BackendChoice.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.Contains($"'{text}'", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void AKBeyondTheDevicesNamesKAndHowManyThereAre()
    {
        var random = TestRandom.Create();
        var count = random.Next(1, 9);
        var k = count + random.Next(0, 5);
        var e = Assert.Throws<BackendUnavailableException>(() => new BackendChoice("cuda", k).DeviceFor(count, localRank: 0));
        Assert.Contains($"'cuda:{k}': there is no device {k}", e.Message);
        Assert.Contains($"cuda has {count} usable device{(count == 1 ? "" : "s")} here, numbered 0 to {count - 1}", e.Message);
    }

    [Fact]
    public void AnExplicitKWinsOverTheLocalRank()
    {
        var random = TestRandom.Create();
        var count = random.Next(2, 9);
        var k = random.Next(0, count);
        Assert.Equal(k, new BackendChoice("opencl", k).DeviceFor(count, localRank: random.Next(0, 64)));
    }

    [Fact]
    public void WithoutKARankTakesItsLocalRankModuloTheDevices()
    {
        var random = TestRandom.Create();
        for (var trial = 0; trial < 20; trial++)
        {
            var count = random.Next(1, 9);
            var local = random.Next(0, 64);
            // The independent computation: ranks 0, 1, ... of a node go round the devices in turn.
            var expected = local;
            while (expected >= count) expected -= count;
            Assert.Equal(expected, new BackendChoice("cuda", null).DeviceFor(count, local));
        }
        Assert.Equal(0, new BackendChoice("cuda", null).DeviceFor(random.Next(1, 9), localRank: null));
    }

    [Fact]
    public void TheLocalRankIsTheFirstVariableSetOfOpenMpiMpichAndSlurm()
    {
        var random = TestRandom.Create();
        var (ompi, mpich, slurm) = (random.Next(0, 100), random.Next(100, 200), random.Next(200, 300));
        var all = new Dictionary<string, string?>
        {
            ["OMPI_COMM_WORLD_LOCAL_RANK"] = $"{ompi}", ["MPI_LOCALRANKID"] = $"{mpich}", ["SLURM_LOCALID"] = $"{slurm}",
        };
        Assert.Equal(ompi, BackendChoice.LocalRank(v => all.GetValueOrDefault(v)));
        all.Remove("OMPI_COMM_WORLD_LOCAL_RANK");
        Assert.Equal(mpich, BackendChoice.LocalRank(v => all.GetValueOrDefault(v)));
        all["MPI_LOCALRANKID"] = " ";
        Assert.Equal(slurm, BackendChoice.LocalRank(v => all.GetValueOrDefault(v)));
        all.Clear();
        Assert.Null(BackendChoice.LocalRank(v => all.GetValueOrDefault(v)));
    }

    [Fact]
    public void ALocalRankThatIsNotANumberIsRefusedNamingTheVariable()
    {
        var e = Assert.Throws<ArgumentException>(() => BackendChoice.LocalRank(v => v == "MPI_LOCALRANKID" ? "two" : null));
        Assert.Contains("MPI_LOCALRANKID is 'two'", e.Message);
    }

    [Fact]
    public void BackendCreateRefusesANameErrorAndAnOutOfRangeDevice()
    {
        Assert.Throws<BackendNameException>(() => Backend.Create("cpu:1"));
        Assert.Throws<BackendNameException>(() => Backend.Create("cuda:x"));
        using (var cpu = Backend.Create("cpu:0")) Assert.Equal("cpu", cpu.Name);
        foreach (var info in Backend.Probe().Where(i => i.IsAvailable && i.Name is "cuda" or "opencl"))
        {
            var e = Assert.Throws<BackendUnavailableException>(() => Backend.Create($"{info.Name}:{info.DeviceCount}"));
            Assert.Contains($"there is no device {info.DeviceCount}; {info.Name} has {info.DeviceCount} usable device", e.Message);
        }
    }
}
