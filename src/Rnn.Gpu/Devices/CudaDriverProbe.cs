using System.Runtime.InteropServices;

namespace GpuRnn.Gpu.Devices;

/// <summary>
/// Asks the CUDA driver directly whether it can run, so that the reason it cannot is precise
/// (no driver library, a driver without a device, a driver too old) rather than ILGPU's silent
/// empty device list.
/// </summary>
internal static class CudaDriverProbe
{
    /// <summary>Loads the driver and calls cuInit and cuDeviceGetCount; never throws.</summary>
    /// <returns>The library file found (or null), the device count, and the problem when the count is 0.</returns>
    public static unsafe (string? Library, int DeviceCount, string? Problem) Run()
    {
        try
        {
            var library = NativeLibraries.TryLoad(NativeLibraries.CudaDriverNames, out var handle);
            if (library is null)
                return (null, 0, $"the NVIDIA driver library ({string.Join(" or ", NativeLibraries.CudaDriverNames)}) was not found: no NVIDIA driver is installed");
            if (!NativeLibrary.TryGetExport(handle, "cuInit", out var initPtr) ||
                !NativeLibrary.TryGetExport(handle, "cuDeviceGetCount", out var countPtr))
                return (library, 0, $"{library} does not export cuInit/cuDeviceGetCount; it is not a CUDA driver");
            var init = (delegate* unmanaged<uint, int>)initPtr;
            var rc = init(0);
            if (rc != 0) return (library, 0, $"cuInit failed with {ErrorName(rc)} ({rc})");
            int count;
            var getCount = (delegate* unmanaged<int*, int>)countPtr;
            rc = getCount(&count);
            if (rc != 0) return (library, 0, $"cuDeviceGetCount failed with {ErrorName(rc)} ({rc})");
            return count == 0 ? (library, 0, "the CUDA driver reports no device") : (library, count, null);
        }
        catch (Exception e)
        {
            return (null, 0, $"probing the CUDA driver failed: {e.Message}");
        }
    }

    /// <summary>The CUresult names a user can search for.</summary>
    public static string ErrorName(int code) => code switch
    {
        1 => "CUDA_ERROR_INVALID_VALUE",
        2 => "CUDA_ERROR_OUT_OF_MEMORY",
        3 => "CUDA_ERROR_NOT_INITIALIZED",
        4 => "CUDA_ERROR_DEINITIALIZED",
        34 => "CUDA_ERROR_STUB_LIBRARY (the stub libcuda from the toolkit was loaded, not the driver's)",
        35 => "CUDA_ERROR_INSUFFICIENT_DRIVER (the driver is older than this runtime)",
        46 => "CUDA_ERROR_DEVICES_UNAVAILABLE",
        100 => "CUDA_ERROR_NO_DEVICE",
        101 => "CUDA_ERROR_INVALID_DEVICE",
        222 => "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        303 => "CUDA_ERROR_SYSTEM_NOT_READY",
        304 => "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
        999 => "CUDA_ERROR_UNKNOWN",
        _ => "CUDA error",
    };
}
