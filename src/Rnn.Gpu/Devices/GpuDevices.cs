using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace GpuRnn.Gpu.Devices;

/// <summary>One device an ILGPU runtime can see, with whether GpuRnn can run on it.</summary>
/// <param name="Backend">The backend name it belongs to: <c>cuda</c>, <c>opencl</c> or <c>ilgpu-cpu</c>.</param>
/// <param name="Index">Its index among the usable devices of that backend, or -1 when unusable.</param>
/// <param name="Name">The device's own name.</param>
/// <param name="Kind">GPU, CPU, or the runtime's word for it, with the compute capability where known.</param>
/// <param name="MemoryBytes">Device memory in bytes (0 when unknown).</param>
/// <param name="WarpSize">Threads per warp (subgroup).</param>
/// <param name="Multiprocessors">Streaming multiprocessors or compute units.</param>
/// <param name="IsUsable">Whether GpuRnn can run on it.</param>
/// <param name="UnusableReason">Why not, when it cannot.</param>
public sealed record GpuDeviceInfo(string Backend, int Index, string Name, string Kind, long MemoryBytes, int WarpSize,
    int Multiprocessors, bool IsUsable, string? UnusableReason)
{
    /// <summary>ILGPU's description of the device, by which <see cref="GpuBackend"/> opens this one and no other.</summary>
    internal ILGPU.Runtime.Device? Native { get; init; }
}

/// <summary>What one accelerator runtime (CUDA, OpenCL, ILGPU's CPU accelerator) offers on this machine.</summary>
/// <param name="Backend">The backend name: <c>cuda</c>, <c>opencl</c> or <c>ilgpu-cpu</c>.</param>
/// <param name="Runtime">The native library found, or what would be needed.</param>
/// <param name="Devices">Every device the runtime reports, usable or not.</param>
/// <param name="Problem">Why the backend cannot run here when no device is usable; null when one is.</param>
public sealed record GpuRuntimeInfo(string Backend, string Runtime, IReadOnlyList<GpuDeviceInfo> Devices, string? Problem)
{
    /// <summary>The first usable device, the one the backend runs on unless another is named.</summary>
    public GpuDeviceInfo? FirstUsable => Devices.FirstOrDefault(d => d.IsUsable);

    /// <summary>The usable devices, in the order of their <see cref="GpuDeviceInfo.Index"/> (what <c>cuda:K</c> picks from).</summary>
    public IReadOnlyList<GpuDeviceInfo> Usable => Devices.Where(d => d.IsUsable).ToList();
}

/// <summary>
/// Lists what every ILGPU runtime on this machine offers and why a runtime that is installed
/// cannot be used. The survey runs once per process (it loads native libraries and asks each
/// driver for its devices) and never throws.
/// </summary>
public static class GpuDevices
{
    private static readonly Lazy<IReadOnlyList<GpuRuntimeInfo>> Cached = new(Run, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The survey: one entry each for <c>cuda</c>, <c>opencl</c> and <c>ilgpu-cpu</c>.</summary>
    public static IReadOnlyList<GpuRuntimeInfo> Survey() => Cached.Value;

    /// <summary>The survey entry of one backend name.</summary>
    public static GpuRuntimeInfo Runtime(string backend) => Survey().First(r => r.Backend == backend);

    /// <summary>A human-readable size such as <c>79.1 GiB</c>.</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        <= 0 => "unknown",
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F1} GiB",
        _ => $"{bytes / (double)(1L << 20):F0} MiB",
    };

    private static IReadOnlyList<GpuRuntimeInfo> Run()
    {
        NativeLibraries.Register();
        return [Safe("cuda", SurveyCuda), Safe("opencl", SurveyOpenCl), SurveyCpu()];
    }

    private static GpuRuntimeInfo Safe(string backend, Func<GpuRuntimeInfo> survey)
    {
        try { return survey(); }
        catch (Exception e) { return new GpuRuntimeInfo(backend, "unknown", [], $"listing its devices failed: {e.GetType().Name}: {e.Message}"); }
    }

    private static GpuRuntimeInfo SurveyCuda()
    {
        var (library, count, problem) = CudaDriverProbe.Run();
        var runtime = library ?? "needs libcuda.so.1 from the NVIDIA driver";
        if (count == 0) return new GpuRuntimeInfo("cuda", runtime, [], problem);
        var devices = new List<GpuDeviceInfo>();
        var usable = 0;
        foreach (var d in CudaDevice.GetDevices(_ => true).OfType<CudaDevice>())
        {
            string? reason = null;
            if (d.Architecture is null)
                reason = "ILGPU 1.5.3 does not know this device's compute capability";
            else if (d.InstructionSet is null)
                reason = $"no PTX instruction set ILGPU 1.5.3 knows fits sm_{d.Architecture.Value.Major}{d.Architecture.Value.Minor} with driver {d.DriverVersion}";
            else if (!PTXCodeGenerator.SupportedInstructionSets.Contains(d.InstructionSet.Value))
                reason = $"PTX ISA {d.InstructionSet.Value} is not supported by ILGPU 1.5.3's code generator";
            var kind = d.Architecture is { } a ? $"GPU sm_{a.Major}{a.Minor}" : "GPU";
            devices.Add(new GpuDeviceInfo("cuda", reason is null ? usable++ : -1, d.Name, kind, d.MemorySize, d.WarpSize,
                d.NumMultiprocessors, reason is null, reason) { Native = d });
        }
        var missing = devices.Count == 0 ? $"the driver reports {count} device(s) but ILGPU could not open any" : null;
        return new GpuRuntimeInfo("cuda", runtime, devices, usable > 0 ? null : missing ?? "no CUDA device is usable: " + devices[0].UnusableReason);
    }

    private static GpuRuntimeInfo SurveyOpenCl()
    {
        var library = NativeLibraries.TryLoad(NativeLibraries.OpenClLoaderNames, out _);
        if (library is null)
            return new GpuRuntimeInfo("opencl", "needs an OpenCL ICD loader, libOpenCL.so.1", [],
                $"no OpenCL ICD loader ({string.Join(" or ", NativeLibraries.OpenClLoaderNames)}) is installed");
        var devices = new List<GpuDeviceInfo>();
        var usable = 0;
        foreach (var d in CLDevice.GetDevices(_ => true).OfType<CLDevice>())
        {
            string? reason = null;
            if (d.CLStdVersion < CLBackend.MinimumVersion)
                reason = $"it supports OpenCL C {d.CLStdVersion} but ILGPU needs OpenCL C {CLBackend.MinimumVersion}";
            else if (!d.Capabilities.GenericAddressSpace)
                reason = "it lacks the OpenCL C 2.0 generic address space that ILGPU's kernels need";
            devices.Add(new GpuDeviceInfo("opencl", reason is null ? usable++ : -1, $"{d.Name} ({d.PlatformName})",
                d.DeviceType.ToString(), d.MemorySize, d.WarpSize, d.NumMultiprocessors, reason is null, reason) { Native = d });
        }
        string? problem = null;
        if (devices.Count == 0)
            problem = $"the OpenCL loader {library} finds no platform (no ICD is registered in /etc/OpenCL/vendors)";
        else if (usable == 0)
            problem = $"no OpenCL device is usable: {devices[0].Name}: {devices[0].UnusableReason}";
        return new GpuRuntimeInfo("opencl", library, devices, problem);
    }

    private static GpuRuntimeInfo SurveyCpu()
    {
        var d = CpuAccelerator.Device;
        var info = new GpuDeviceInfo("ilgpu-cpu", 0, $"GPU-shaped simulator (warp {d.WarpSize}, {d.MaxNumThreadsPerGroup} threads per group)",
            $"CPU, {Environment.ProcessorCount} threads", GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, d.WarpSize, d.NumMultiprocessors, true, null);
        return new GpuRuntimeInfo("ilgpu-cpu", "managed, no native runtime", [info], null);
    }

    /// <summary>
    /// One line per device of every runtime (name, kind, memory, warp size, multiprocessors, and
    /// why it is unusable), or per runtime without devices with the reason: what
    /// <c>gpurnn devices</c> prints under the backend table.
    /// </summary>
    public static IReadOnlyList<string> Report()
    {
        var lines = new List<string>();
        foreach (var runtime in Survey())
        {
            if (runtime.Devices.Count == 0)
            {
                lines.Add($"{runtime.Backend,-9}  no device ({runtime.Runtime}): {runtime.Problem}");
                continue;
            }
            foreach (var d in runtime.Devices)
            {
                var index = d.IsUsable ? $"#{d.Index}" : "-";
                var line = $"{runtime.Backend,-9}  {index,-3} {d.Name}; {d.Kind}; memory {FormatBytes(d.MemoryBytes)}; warp {d.WarpSize}; {d.Multiprocessors} multiprocessor{(d.Multiprocessors == 1 ? "" : "s")}";
                lines.Add(d.IsUsable ? line : $"{line}; unusable: {d.UnusableReason}");
            }
        }
        return lines;
    }
}
