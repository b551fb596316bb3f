using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>Shape of one persistent launch.</summary>
internal struct PersistentShape
{
    public ArrayView<float> Weight;  // W_hh [G*H, P]
    public ArrayView<float> States;  // forward: h slots [S, B, P], step s reads slot Previous(s, t); backward: gate gradients [T, B, G*H]
    public ArrayView<int> Sync;      // [1]: arrivals at the grid barrier so far, zeroed before launch
    public StateSlots Slots;
    public int Gates, Hidden, StateSize, Batch, Steps, Reverse, UnitsPerGroup, Groups;
    public int Lanes;                // threads per dot product: a power of two with Lanes * products <= 64
}

/// <summary>One persistent launch, forward or backward: its shape, the mask and the cell epilogue.</summary>
internal struct PersistentArgs<TCell> where TCell : struct
{
    public PersistentShape Shape;
    public SequenceMask Mask;
    public TCell Cell;
}

/// <summary>
/// Persistent recurrent forward (Diamos et al. 2016, "Persistent RNNs"): one launch runs every
/// time step. Each group owns UnitsPerGroup hidden units and keeps their rows of W_hh (all
/// gates) in shared memory for the whole sequence, so the recurrent weights are read from
/// device memory once instead of once per step. Per step a group loads h(t-1) [B, P] into shared
/// memory, computes its products, runs the same cell epilogue as the step-wise kernel, then waits
/// at a grid-wide barrier until every group has written h(t). ILGPU has no cooperative launch,
/// so the barrier is an atomic arrival counter, and the host launches at most as many groups as
/// can be resident at once (one per multiprocessor). Used where it fits: small
/// batches, cells whose step needs a single product (LSTM without projection, GRU reset after,
/// RNN), and weights + state within 48 KB of shared memory per group.
/// </summary>
internal static class PersistentRnn
{
    /// <summary>Shared-memory floats one group needs; the host checks it against the 48 KB limit.</summary>
    public static long SharedFloats(int gates, int unitsPerGroup, int stateSize, int batch) =>
        PersistentTile.Floats(gates * unitsPerGroup, stateSize, batch);

    /// <summary>Threads per dot product: as many as leave no thread idle, so a batch of one still uses the whole group.</summary>
    public static int Lanes(int products)
    {
        var lanes = 1;
        while (lanes < 16 && 2 * lanes * products <= LaunchShapes.GroupSize) lanes *= 2;
        return lanes;
    }

    /// <summary>Weight rows are padded to an odd stride so the threads of a warp hit distinct banks.</summary>
    public static int PaddedDepth(int stateSize) => stateSize | 1;

    /// <summary>
    /// Grid: Groups (at most one per multiprocessor) x 64 threads; <typeparamref name="TTile"/> holds at least
    /// <see cref="SharedFloats"/> (dynamic shared memory of that size, or a static class on OpenCL).
    /// </summary>
    [Kernel]
    public static void Forward<TCell, TTile>(PersistentArgs<TCell> args)
        where TCell : struct, IForwardCell where TTile : struct, ISharedTile
    {
        var a = args.Shape;
        var tile = new PersistentTile(default(TTile).Get(), a.Gates * a.UnitsPerGroup, a.StateSize, a.Batch);
        var partials = SharedMemory.Allocate<float>(LaunchShapes.GroupSize);
        int tid = Group.IdxX, u0 = Grid.IdxX * a.UnitsPerGroup, units = GroupUnits(a, u0);
        var columns = a.Gates * units;
        int depth = tile.Depth;
        ArrayView<float> weights = tile.Weights, state = tile.Vectors, products = tile.Products;

        // Column c = gate c / units of unit u0 + c % units: the rows this group keeps on chip.
        for (var l = tid; l < columns * a.StateSize; l += Group.DimX)
        {
            int c = l / a.StateSize, k = l % a.StateSize;
            weights[c * depth + k] = a.Weight[(c / units * a.Hidden + u0 + c % units) * a.StateSize + k];
        }

        for (var s = 0; s < a.Steps; s++)
        {
            var t = a.Reverse != 0 ? a.Steps - 1 - s : s;
            var previous = a.Slots.Previous(s, t) * a.Batch * a.StateSize;
            for (var l = tid; l < a.Batch * a.StateSize; l += Group.DimX) state[l] = a.States[previous + l];
            Group.Barrier();
            // Few products (small batch, few units per group): Lanes threads share each dot product.
            Products(weights, state, products, partials, depth, a.StateSize, columns, a.Batch, a.Lanes);
            Group.Barrier();
            for (var q = tid; q < a.Batch * units; q += Group.DimX)
            {
                int b = q / units, u = q % units;
                args.Cell.Apply(s, t, b, u0 + u, args.Mask.IsActive(t, b), products, b * columns + u, units);
            }
            GridBarrier(a.Sync, a.Groups, s);
        }
    }

    /// <summary>Shared-memory floats one group of the persistent backward needs.</summary>
    public static long BackwardSharedFloats(int gates, int hidden, int unitsPerGroup, int batch) =>
        PersistentTile.Floats(unitsPerGroup, gates * hidden, batch);

    /// <summary>
    /// Persistent BPTT: one launch walks the steps backwards. Each group owns UnitsPerGroup units
    /// and keeps their columns of W_hh (every gate row) in shared memory; per step it loads the
    /// gate gradients of the step processed before [B, G*H] (written by every group), forms
    /// W_hh^T dPre(t+1) for its units and runs the same backward cell epilogue as the step-wise
    /// kernel, then waits at the grid barrier until all have written dPre(t). Same fit rules as
    /// the forward (P = H: no projection).
    /// </summary>
    [Kernel]
    public static void Backward<TCell, TTile>(PersistentArgs<TCell> args)
        where TCell : struct, IBackwardCell where TTile : struct, ISharedTile
    {
        var a = args.Shape;
        var rows = a.Gates * a.Hidden;
        var tile = new PersistentTile(default(TTile).Get(), a.UnitsPerGroup, rows, a.Batch);
        var partials = SharedMemory.Allocate<float>(LaunchShapes.GroupSize);
        int tid = Group.IdxX, u0 = Grid.IdxX * a.UnitsPerGroup, units = GroupUnits(a, u0);
        int depth = tile.Depth;
        ArrayView<float> weights = tile.Weights, next = tile.Vectors, products = tile.Products;

        // Column u0 + u of W_hh [G*H, H], every row, stored as row u of the tile.
        for (var l = tid; l < units * rows; l += Group.DimX)
        {
            int r = l / units, u = l % units;
            weights[u * depth + r] = a.Weight[r * a.StateSize + u0 + u];
        }

        for (var s = a.Steps - 1; s >= 0; s--)
        {
            var t = a.Reverse != 0 ? a.Steps - 1 - s : s;
            var hasNext = s < a.Steps - 1;
            if (hasNext)
            {
                var tNext = a.Reverse != 0 ? a.Steps - 2 - s : s + 1;
                var from = tNext * a.Batch * rows;
                for (var l = tid; l < a.Batch * rows; l += Group.DimX) next[l] = a.States[from + l]; // the gate gradients of step s + 1
            }
            Group.Barrier();
            if (hasNext) Products(weights, next, products, partials, depth, rows, units, a.Batch, a.Lanes);
            Group.Barrier();
            for (var q = tid; q < a.Batch * units; q += Group.DimX)
            {
                int b = q / units, u = q % units;
                args.Cell.Apply(s, t, b, u0 + u, args.Mask.IsActive(t, b), hasNext ? products[q] : 0f);
            }
            GridBarrier(a.Sync, a.Groups, a.Steps - 1 - s);
        }
    }

    /// <summary>The hidden units of the group starting at unit <paramref name="u0"/>: UnitsPerGroup, fewer in the last group, none past the end.</summary>
    private static int GroupUnits(PersistentShape a, int u0)
    {
        var units = a.Hidden - u0 < a.UnitsPerGroup ? a.Hidden - u0 : a.UnitsPerGroup;
        return units < 0 ? 0 : units;
    }

    /// <summary>products[b * units + u] = Σ_k rows[u * depth + k] · vectors[b * length + k], Lanes threads per sum.</summary>
    private static void Products(ArrayView<float> rowsTile, ArrayView<float> vectors, ArrayView<float> products, ArrayView<float> partials,
        int depth, int length, int count, int batch, int lanes)
    {
        var tid = Group.IdxX;
        if (lanes == 1)
        {
            for (var q = tid; q < batch * count; q += Group.DimX)
            {
                int b = q / count, u = q % count;
                var sum = 0f;
                for (var k = 0; k < length; k++) sum += rowsTile[u * depth + k] * vectors[b * length + k];
                products[q] = sum;
            }
            return;
        }
        int p = tid / lanes, lane = tid % lanes;
        var partial = 0f;
        if (p < batch * count)
        {
            int b = p / count, u = p % count;
            for (var k = lane; k < length; k += lanes) partial += rowsTile[u * depth + k] * vectors[b * length + k];
        }
        partials[tid] = partial;
        Group.Barrier();
        if (lane == 0 && p < batch * count)
        {
            var total = 0f;
            for (var l = 0; l < lanes; l++) total += partials[tid + l];
            products[p] = total;
        }
    }

    /// <summary>
    /// Every group of the grid waits here until all have arrived at barrier <paramref name="round"/>
    /// (0, 1, ...): the arrival counter only grows, so round r is complete when it reaches
    /// (r + 1) * groups, and no group ever resets it while another may still be counting. The
    /// fences publish this group's writes of h(t) before it arrives and order the others' writes
    /// before its next reads; every thread runs them, because OpenCL makes each device fence a
    /// work-group barrier that all threads of the group must reach (kernels.md, "ILGPU on OpenCL").
    /// </summary>
    private static void GridBarrier(ArrayView<int> sync, int groups, int round)
    {
        Group.Barrier();
        MemoryFence.DeviceLevel();
        if (Group.IdxX == 0)
        {
            Atomic.Add(ref sync[0], 1);
            var complete = (round + 1) * groups;
            while (Atomic.Add(ref sync[0], 0) < complete) { }
        }
        MemoryFence.DeviceLevel();
        Group.Barrier();
    }
}

/// <summary>
/// How a persistent group lays out its shared memory, forward and backward alike: the weight rows it keeps
/// on chip (<c>rows</c> of <c>length</c>, padded to <see cref="Depth"/>), then the step's vectors [B, length]
/// that multiply them, then their products [B, rows].
/// </summary>
internal readonly struct PersistentTile
{
    public readonly ArrayView<float> Weights, Vectors, Products;

    /// <summary>The padded row stride of <see cref="Weights"/> (<see cref="PersistentRnn.PaddedDepth"/>).</summary>
    public readonly int Depth;

    public PersistentTile(ArrayView<float> shared, int rows, int length, int batch)
    {
        Depth = PersistentRnn.PaddedDepth(length);
        Weights = shared.SubView(0, rows * Depth);
        Vectors = shared.SubView(Weights.Length, batch * length);
        Products = shared.SubView(Weights.Length + Vectors.Length, batch * rows);
    }

    /// <summary>The floats the layout takes.</summary>
    public static long Floats(int rows, int length, int batch) =>
        (long)rows * PersistentRnn.PaddedDepth(length) + (long)batch * length + (long)batch * rows;
}
