using GpuRnn.Gpu;
using GpuRnn.Gpu.Devices;
using Xunit;

namespace GpuRnn.Tests.Gpu;

/// <summary>How the ILGPU runtimes are found, listed and refused.</summary>
public class GpuProviderTests
{
    [Fact]
    public void ProbeReportsEveryIlgpuBackendAndAReasonForEachAbsentOne()
    {
        var infos = new GpuBackendProvider().Probe();
        Assert.Equal(["cuda", "opencl", "ilgpu-cpu"], infos.Select(i => i.Name));
        var cpu = infos.Single(i => i.Name == "ilgpu-cpu");
        Assert.True(cpu.IsAvailable);
        Assert.Contains("warp 32", cpu.Description);
        foreach (var info in infos.Where(i => !i.IsAvailable))
            Assert.False(string.IsNullOrWhiteSpace(info.UnavailableReason), $"{info.Name} is unavailable without a reason");
    }

    [Fact]
    public void TheCpuAcceleratorIsGpuShaped()
    {
        var device = Assert.Single(GpuDevices.Runtime("ilgpu-cpu").Devices);
        Assert.True(device.IsUsable);
        Assert.Equal(32, device.WarpSize);
        Assert.Contains("1024 threads per group", device.Name);
    }

    [Fact]
    public void AnAbsentRuntimeIsRefusedLoudlyWithItsReason()
    {
        foreach (var runtime in GpuDevices.Survey().Where(r => r.FirstUsable is null))
        {
            var e = Assert.Throws<BackendUnavailableException>(() => Backend.Create(runtime.Backend));
            Assert.Contains(runtime.Problem!, e.Message);
        }
    }

    [Fact]
    public void BackendCreatesTheCpuAcceleratorByName()
    {
        using var backend = Backend.Create("ilgpu-cpu");
        Assert.Equal("ilgpu-cpu", backend.Name);
        Assert.IsType<GpuBackend>(backend);
    }

    [Fact]
    public void TheDeviceReportNamesEveryRuntimeWithItsDevicesOrWhyItHasNone()
    {
        var lines = GpuDevices.Report();
        foreach (var runtime in GpuDevices.Survey())
        {
            var mine = lines.Where(l => l.StartsWith(runtime.Backend + " ", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(mine);
            if (runtime.Devices.Count == 0) Assert.Contains(runtime.Problem!, Assert.Single(mine));
            else Assert.All(runtime.Devices, d => Assert.Contains(mine, l => l.Contains(d.Name, StringComparison.Ordinal) && l.Contains($"warp {d.WarpSize}", StringComparison.Ordinal)));
        }
    }
}
