using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace GpuRnn.Gpu.Devices;

/// <summary>
/// Finds the native runtimes ILGPU binds by bare name. ILGPU imports the CUDA driver as
/// <c>cuda</c> and OpenCL as <c>OpenCL</c>, so .NET probes for <c>libcuda.so</c> and
/// <c>libOpenCL.so</c>, the development symlinks that a driver-only machine lacks (it has
/// <c>libcuda.so.1</c> and <c>libOpenCL.so.1</c>). The handler runs only after the default probe
/// failed, so it never overrides a library the system would have found, and it leaves
/// <see cref="NativeLibrary.SetDllImportResolver"/> free for ILGPU's own WSL resolver.
/// </summary>
internal static class NativeLibraries
{
    private static int _registered;

    /// <summary>The file names tried for the CUDA driver, most specific first.</summary>
    public static readonly string[] CudaDriverNames = OperatingSystem.IsWindows()
        ? ["nvcuda.dll"]
        : ["libcuda.so.1", "libcuda.so"];

    /// <summary>The file names tried for the OpenCL ICD loader.</summary>
    public static readonly string[] OpenClLoaderNames = OperatingSystem.IsWindows()
        ? ["OpenCL.dll"]
        : ["libOpenCL.so.1", "libOpenCL.so"];

    /// <summary>Installs the resolver once; must run before ILGPU first touches CUDA or OpenCL.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += Resolve;
    }

    /// <summary>Loads the first of <paramref name="names"/> that exists; returns its name or null.</summary>
    public static string? TryLoad(IEnumerable<string> names, out IntPtr handle)
    {
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, out handle)) return name;
        }
        handle = IntPtr.Zero;
        return null;
    }

    private static IntPtr Resolve(Assembly assembly, string name)
    {
        var candidates = name switch
        {
            "cuda" or "nvcuda" => CudaDriverNames,
            "OpenCL" or "opencl" => OpenClLoaderNames,
            _ => [],
        };
        return TryLoad(candidates, out var handle) is null ? IntPtr.Zero : handle;
    }
}
