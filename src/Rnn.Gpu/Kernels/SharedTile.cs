using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Where a persistent group keeps its tile of W_hh and states: the kernel is generic over it, so
/// each choice is its own compiled kernel. CUDA (and ILGPU's CPU accelerator) use dynamic shared
/// memory sized per launch. On OpenCL, ILGPU 1.5.3 keeps every group's dynamic shared-memory
/// pointer in one program-scope variable, so groups running at once overwrite each other's
/// pointer (kernels.md, "ILGPU on OpenCL"); there the tile is static shared memory of a fixed
/// size class, which ILGPU declares inside the kernel, one per group.
/// </summary>
internal interface ISharedTile
{
    /// <summary>The group's tile: at least the floats the launch asked for.</summary>
    ArrayView<float> Get();
}

/// <summary>Dynamic shared memory of the launch's size (KernelConfig's SharedMemoryConfig).</summary>
internal readonly struct DynamicTile : ISharedTile
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ArrayView<float> Get() => SharedMemory.GetDynamic<float>();
}

/// <summary>Static shared memory of <see cref="Floats"/> floats (8 KB).</summary>
internal readonly struct StaticTileSmall : ISharedTile
{
    public const int Floats = 2048;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ArrayView<float> Get() => SharedMemory.Allocate<float>(Floats);
}

/// <summary>Static shared memory of <see cref="Floats"/> floats (24 KB).</summary>
internal readonly struct StaticTileMedium : ISharedTile
{
    public const int Floats = 6144;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ArrayView<float> Get() => SharedMemory.Allocate<float>(Floats);
}

/// <summary>
/// Static shared memory of <see cref="Floats"/> floats: 48 KB less the kernel's own static
/// partial sums (one float per thread), the most a persistent launch ever plans.
/// </summary>
internal readonly struct StaticTileLarge : ISharedTile
{
    public const int Floats = 48 * 1024 / sizeof(float) - LaunchShapes.GroupSize;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ArrayView<float> Get() => SharedMemory.Allocate<float>(Floats);
}

/// <summary>The size classes of static tiles, smallest first.</summary>
internal enum SharedTileClass { Dynamic, Small, Medium, Large }

internal static class SharedTiles
{
    /// <summary>
    /// The smallest static class holding <paramref name="floats"/> within <paramref name="limitFloats"/>
    /// (the device's shared memory less the kernel's static part), or null where none does.
    /// </summary>
    public static SharedTileClass? StaticClass(long floats, long limitFloats) =>
        floats <= StaticTileSmall.Floats && StaticTileSmall.Floats <= limitFloats ? SharedTileClass.Small
        : floats <= StaticTileMedium.Floats && StaticTileMedium.Floats <= limitFloats ? SharedTileClass.Medium
        : floats <= StaticTileLarge.Floats && StaticTileLarge.Floats <= limitFloats ? SharedTileClass.Large
        : null;
}
