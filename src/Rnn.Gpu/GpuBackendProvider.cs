using GpuRnn.Gpu.Devices;

namespace GpuRnn.Gpu;

/// <summary>
/// Makes <c>cuda</c>, <c>opencl</c> and <c>ilgpu-cpu</c> known to <see cref="Backend"/>. Probing is
/// cheap after the first call (the device survey runs once per process) and never throws.
/// </summary>
public sealed class GpuBackendProvider : IBackendProvider
{
    /// <summary>Creates the provider (found by name by <see cref="Backend"/>).</summary>
    public GpuBackendProvider() { }

    /// <inheritdoc/>
    public IReadOnlyList<BackendInfo> Probe()
    {
        var result = new List<BackendInfo>();
        foreach (var runtime in GpuDevices.Survey())
        {
            var device = runtime.FirstUsable;
            result.Add(device is null
                ? new BackendInfo(runtime.Backend, false, $"ILGPU {Label(runtime.Backend)}, {runtime.Runtime}", runtime.Problem ?? "no usable device")
                : new BackendInfo(runtime.Backend, true, Describe(device)) { DeviceCount = runtime.Usable.Count });
        }
        return result;
    }

    /// <inheritdoc/>
    public IBackend Create(string name) => Create(name, 0);

    /// <inheritdoc/>
    public IBackend Create(string name, int device)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name is "cuda" or "opencl" or "ilgpu-cpu"
            ? new GpuBackend(name, device)
            : throw new BackendUnavailableException($"the ILGPU provider does not serve backend '{name}' (it serves cuda, opencl, ilgpu-cpu)");
    }

    internal static string Label(string backend) => backend switch
    {
        "cuda" => "CUDA",
        "opencl" => "OpenCL",
        _ => "CPU accelerator",
    };

    internal static string Describe(GpuDeviceInfo d) =>
        $"ILGPU {Label(d.Backend)}: {d.Name}, {GpuDevices.FormatBytes(d.MemoryBytes)}, {d.Multiprocessors} multiprocessor{(d.Multiprocessors == 1 ? "" : "s")}, warp {d.WarpSize}";
}
