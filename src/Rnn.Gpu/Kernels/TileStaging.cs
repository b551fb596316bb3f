global using Staged4 = GpuRnn.Gpu.Kernels.StagedPair<GpuRnn.Gpu.Kernels.Staged2>;
global using Staged8 = GpuRnn.Gpu.Kernels.StagedPair<GpuRnn.Gpu.Kernels.StagedPair<GpuRnn.Gpu.Kernels.Staged2>>;
global using Staged16 = GpuRnn.Gpu.Kernels.StagedPair<GpuRnn.Gpu.Kernels.StagedPair<GpuRnn.Gpu.Kernels.StagedPair<GpuRnn.Gpu.Kernels.Staged2>>>;
global using Staged32 = GpuRnn.Gpu.Kernels.StagedPair<GpuRnn.Gpu.Kernels.StagedPair<GpuRnn.Gpu.Kernels.StagedPair<GpuRnn.Gpu.Kernels.StagedPair<GpuRnn.Gpu.Kernels.Staged2>>>>;
using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// One thread's share of an operand tile of a tiled product: its i-th element is element
/// <c>tid + 64·i</c> of the tile. Implementations work out the thread's fixed coordinates once,
/// so that after inlining (i is a constant in every call) an element costs one multiply-add and
/// a bounds test rather than a division and a remainder.
/// </summary>
internal interface ITileSource<TSelf> where TSelf : struct, ITileSource<TSelf>
{
    /// <summary>The same share of the tile that starts <paramref name="depth"/> deep in the reduction.</summary>
    TSelf At(int depth);

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
/// Sizes are powers of two, <see cref="Staged2"/> doubled by <see cref="StagedPair{THalf}"/>
/// (Staged4 … Staged32 above); the loads and stores go in element order.
/// </summary>
internal interface IStaged<TSelf> where TSelf : struct, IStaged<TSelf>
{
    /// <summary>The elements held.</summary>
    int Count { get; }

    /// <summary>
    /// A new share holding elements first … first + Count − 1 of <paramref name="tile"/>; reads no
    /// state of its own (call it on <c>default</c>: ILGPU kernels have no static interface members).
    /// </summary>
    TSelf Load<T>(T tile, int first) where T : struct, ITileSource<T>;

    /// <summary>Writes the elements to their places in the shared-memory tile.</summary>
    void Store<T>(T tile, ArrayView<float> shared, int first) where T : struct, ITileSource<T>;
}

/// <summary>Two elements of a tile in registers, the unit that <see cref="StagedPair{THalf}"/> doubles.</summary>
internal struct Staged2 : IStaged<Staged2>
{
    public float A, B;

    public readonly int Count => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Staged2 Load<T>(T tile, int first) where T : struct, ITileSource<T> =>
        new() { A = tile.Load(first), B = tile.Load(first + 1) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store<T>(T tile, ArrayView<float> shared, int first) where T : struct, ITileSource<T>
    {
        shared[tile.SharedIndex(first)] = A;
        shared[tile.SharedIndex(first + 1)] = B;
    }
}

/// <summary>Twice the elements of <typeparamref name="THalf"/>: the low half first, then the high.</summary>
internal struct StagedPair<THalf> : IStaged<StagedPair<THalf>> where THalf : struct, IStaged<THalf>
{
    public THalf Low, High;

    public readonly int Count => 2 * default(THalf).Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly StagedPair<THalf> Load<T>(T tile, int first) where T : struct, ITileSource<T> =>
        new() { Low = default(THalf).Load(tile, first), High = default(THalf).Load(tile, first + default(THalf).Count) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store<T>(T tile, ArrayView<float> shared, int first) where T : struct, ITileSource<T>
    {
        Low.Store(tile, shared, first);
        High.Store(tile, shared, first + default(THalf).Count);
    }
}

/// <summary>
/// The two operand tiles of a tiled product's reduction loop, each loaded one tile ahead into
/// registers (<see cref="IStaged{TSelf}"/>), so that the next tiles' global loads are in flight
/// while the group computes on the current ones in shared memory.
/// </summary>
internal struct TilePipeline<TA, TStagedA, TB, TStagedB>
    where TA : struct, ITileSource<TA> where TStagedA : struct, IStaged<TStagedA>
    where TB : struct, ITileSource<TB> where TStagedB : struct, IStaged<TStagedB>
{
    private TA a;
    private TB b;
    private TStagedA nextA;
    private TStagedB nextB;

    /// <summary>Starts loading the first tiles (depth 0) of <paramref name="a"/> and <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TilePipeline<TA, TStagedA, TB, TStagedB> Start(TA a, TB b) =>
        new() { a = a, b = b, nextA = default(TStagedA).Load(a.At(0), 0), nextB = default(TStagedB).Load(b.At(0), 0) };

    /// <summary>
    /// Stores the tiles at depth <paramref name="k0"/> into shared memory, waits for the group, then starts
    /// loading the tiles at k0 + <paramref name="depth"/> where that is before <paramref name="end"/>.
    /// Every thread of the group must call it (it synchronises).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance(int k0, int depth, int end, ArrayView<float> sharedA, ArrayView<float> sharedB)
    {
        nextA.Store(a.At(k0), sharedA, 0);
        nextB.Store(b.At(k0), sharedB, 0);
        Group.Barrier();
        if (k0 + depth < end)
        {
            nextA = default(TStagedA).Load(a.At(k0 + depth), 0);
            nextB = default(TStagedB).Load(b.At(k0 + depth), 0);
        }
    }
}
