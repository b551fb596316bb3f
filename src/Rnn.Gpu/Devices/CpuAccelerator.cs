using ILGPU.Runtime.CPU;

namespace GpuRnn.Gpu.Devices;

/// <summary>
/// How <c>ilgpu-cpu</c> creates ILGPU's CPU accelerator: shaped like an NVIDIA GPU (warp 32,
/// up to 1024 threads per group) rather than ILGPU's default (warp 4, 16 threads per group),
/// so that it runs the very launches a GPU runs, warp-size assumptions included.
/// </summary>
internal static class CpuAccelerator
{
    /// <summary>The simulated device.</summary>
    public static CPUDevice Device => CPUDevice.GetDevice(CPUDeviceKind.Nvidia);
}
