using GpuRnn.Gpu.Kernels;

namespace GpuRnn.Gpu.Rnn;

/// <summary>
/// The pass a persistent launch runs: its cell epilogue, whether it walks the steps backwards
/// (BPTT), and its kernel for each shared-tile class (each pair of cell and tile is its own
/// compiled kernel). Made by <see cref="PersistentPass.Forward"/> or <see cref="PersistentPass.Backward"/>,
/// whose constraints pick the kernel, so one host path (<c>GpuBackend.TryPersistent</c>) plans
/// and launches both passes.
/// </summary>
internal readonly struct PersistentPass<TCell>(TCell cell, bool backward, Func<SharedTileClass, Action<PersistentArgs<TCell>>> kernel)
    where TCell : struct
{
    /// <summary>The cell epilogue each step runs.</summary>
    public TCell Cell => cell;

    /// <summary>True for the persistent BPTT (<see cref="PersistentRnn.Backward"/>).</summary>
    public bool Backward => backward;

    /// <summary>The kernel with its tile in <paramref name="tile"/>.</summary>
    public Action<PersistentArgs<TCell>> Kernel(SharedTileClass tile) => kernel(tile);
}

/// <summary>Makes the <see cref="PersistentPass{TCell}"/> of a forward or backward cell.</summary>
internal static class PersistentPass
{
    /// <summary>The persistent forward of <paramref name="cell"/>.</summary>
    public static PersistentPass<TCell> Forward<TCell>(TCell cell) where TCell : struct, IForwardCell =>
        new(cell, backward: false, ForwardKernel<TCell>);

    /// <summary>The persistent BPTT of <paramref name="cell"/>.</summary>
    public static PersistentPass<TCell> Backward<TCell>(TCell cell) where TCell : struct, IBackwardCell =>
        new(cell, backward: true, BackwardKernel<TCell>);

    private static Action<PersistentArgs<TCell>> ForwardKernel<TCell>(SharedTileClass tile) where TCell : struct, IForwardCell => tile switch
    {
        SharedTileClass.Small => PersistentRnn.Forward<TCell, StaticTileSmall>,
        SharedTileClass.Medium => PersistentRnn.Forward<TCell, StaticTileMedium>,
        SharedTileClass.Large => PersistentRnn.Forward<TCell, StaticTileLarge>,
        _ => PersistentRnn.Forward<TCell, DynamicTile>,
    };

    private static Action<PersistentArgs<TCell>> BackwardKernel<TCell>(SharedTileClass tile) where TCell : struct, IBackwardCell => tile switch
    {
        SharedTileClass.Small => PersistentRnn.Backward<TCell, StaticTileSmall>,
        SharedTileClass.Medium => PersistentRnn.Backward<TCell, StaticTileMedium>,
        SharedTileClass.Large => PersistentRnn.Backward<TCell, StaticTileLarge>,
        _ => PersistentRnn.Backward<TCell, DynamicTile>,
    };
}
