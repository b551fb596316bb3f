using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// One thread's share of an operand tile of a tiled product: its i-th element is element
/// <c>tid + 64·i</c> of the tile. Implementations work out the thread's fixed coordinates once,
/// so that after inlining (i is a constant in every call) an element costs one multiply-add and
/// a bounds test rather than a division and a remainder.
/// </summary>
internal interface ITileSource
{
    /// <summary>The thread's element i from global memory, or 0 past the matrix's edge.</summary>
    float Load(int i);

    /// <summary>Where the thread's element i goes in the shared-memory tile.</summary>
    int SharedIndex(int i);
}

/// <summary>
/// A thread's share of a shared-memory tile held in registers, its elements first, first + 1, ….
/// The kernels load the next tile into these while they compute on the current one, so every
/// load of a tile is in flight at once and overlaps the arithmetic. Written as separate loads
/// into separate registers rather than a loop of load-then-store, which the GPU runs one global
/// round trip (≈ 600 cycles from L2) per element: measured on an H100, that made the step
/// kernels 20 times slower than their shared-memory bound (bench/RESULTS.md, 2026-11-23).
/// </summary>
internal struct Staged2
{
    public float A, B;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Staged2 Load<T>(T tile, int first) where T : struct, ITileSource =>
        new() { A = tile.Load(first), B = tile.Load(first + 1) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store<T>(T tile, ArrayView<float> shared, int first) where T : struct, ITileSource
    {
        shared[tile.SharedIndex(first)] = A;
        shared[tile.SharedIndex(first + 1)] = B;
    }
}

/// <summary>Four elements of a tile in registers (see <see cref="Staged2"/>).</summary>
internal struct Staged4
{
    public Staged2 Low, High;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Staged4 Load<T>(T tile, int first) where T : struct, ITileSource =>
        new() { Low = Staged2.Load(tile, first), High = Staged2.Load(tile, first + 2) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store<T>(T tile, ArrayView<float> shared, int first) where T : struct, ITileSource
    {
        Low.Store(tile, shared, first);
        High.Store(tile, shared, first + 2);
    }
}

/// <summary>Eight elements of a tile in registers (see <see cref="Staged2"/>).</summary>
internal struct Staged8
{
    public Staged4 Low, High;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Staged8 Load<T>(T tile, int first) where T : struct, ITileSource =>
        new() { Low = Staged4.Load(tile, first), High = Staged4.Load(tile, first + 4) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store<T>(T tile, ArrayView<float> shared, int first) where T : struct, ITileSource
    {
        Low.Store(tile, shared, first);
        High.Store(tile, shared, first + 4);
    }
}

/// <summary>Sixteen elements of a tile in registers (see <see cref="Staged2"/>).</summary>
internal struct Staged16
{
    public Staged8 Low, High;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Staged16 Load<T>(T tile, int first) where T : struct, ITileSource =>
        new() { Low = Staged8.Load(tile, first), High = Staged8.Load(tile, first + 8) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store<T>(T tile, ArrayView<float> shared, int first) where T : struct, ITileSource
    {
        Low.Store(tile, shared, first);
        High.Store(tile, shared, first + 8);
    }
}

/// <summary>Thirty-two elements of a tile in registers (see <see cref="Staged2"/>).</summary>
internal struct Staged32
{
    public Staged16 Low, High;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Staged32 Load<T>(T tile, int first) where T : struct, ITileSource =>
        new() { Low = Staged16.Load(tile, first), High = Staged16.Load(tile, first + 16) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store<T>(T tile, ArrayView<float> shared, int first) where T : struct, ITileSource
    {
        Low.Store(tile, shared, first);
        High.Store(tile, shared, first + 16);
    }
}
