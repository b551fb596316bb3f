namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Marks a kernel entry point. <see cref="KernelCache"/> refuses to load an unmarked method, and
/// the tests compile every marked one (every instantiation of a generic one) to PTX and OpenCL C,
/// so a kernel that only a GPU would reject is caught on every commit.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class KernelAttribute : Attribute;
