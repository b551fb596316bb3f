using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// The epilogue of a forward step: given the recurrent products of every gate of hidden unit j
/// for sequence b, applies the gate nonlinearities and the state update (LSTM, GRU, RNN).
/// </summary>
internal interface IForwardCell
{
    /// <summary>
    /// Finishes unit <paramref name="j"/> of row <paramref name="b"/> at processing step
    /// <paramref name="s"/> (time <paramref name="t"/>). Gate g's product is
    /// <c>products[index + g * stride]</c>.
    /// </summary>
    void Apply(int s, int t, int b, int j, bool active, ArrayView<float> products, int index, int stride);
}

/// <summary>The epilogue of a backward step: the gate gradients of unit j from its share of the recurrent gradient.</summary>
internal interface IBackwardCell
{
    /// <summary>Finishes unit <paramref name="j"/> of row <paramref name="b"/>; <paramref name="recurrent"/> is column j of the transposed product.</summary>
    void Apply(int s, int t, int b, int j, bool active, float recurrent);
}

/// <summary>
/// The recurrent product of a forward step, gates of one unit side by side: for unit u and gate
/// g &lt; Gates, row RowOffset + g * GateStride + u of Weight [.., K] times row b of Input [B, K].
/// </summary>
internal struct RecurrentProduct
{
    public ArrayView<float> Weight;  // W_hh [G*H, P] (or W_hr [P, H]) row-major
    public ArrayView<float> Input;   // h(t-1) [B, K], row stride LdInput
    public int RowOffset, Gates, GateStride, Units, K, LdInput, Batch, UnitsPerGroup;
}

/// <summary>
/// The transposed product of a backward step: for column j &lt; Units,
/// sum over r &lt; Rows of Weight[(RowOffset + r) * Ld + j] * Vector[b * LdVector + VectorOffset + r].
/// </summary>
internal struct TransposedProduct
{
    public ArrayView<float> Weight;  // W_hh [G*H, P] (or W_hr [P, H]) row-major, row stride Ld
    public ArrayView<float> Vector;  // gate gradients of the next step [B, ..], row stride LdVector
    public int RowOffset, Rows, Ld, Units, LdVector, VectorOffset, Batch;
}

/// <summary>
/// One step launch: its product (<see cref="RecurrentProduct"/> forward, <see cref="TransposedProduct"/>
/// backward), the mask, processing step S at time T, and the cell epilogue.
/// </summary>
internal struct StepArgs<TProduct, TCell> where TProduct : struct where TCell : struct
{
    public TProduct Product;
    public SequenceMask Mask;
    public int S, T;
    public TCell Cell;

    /// <summary>Whether row b's sequence takes part in this step.</summary>
    public readonly bool IsActive(int b) => Mask.IsActive(T, b);
}

/// <summary>Which sequences take part in a time step (packed-sequence masking).</summary>
internal struct SequenceMask
{
    public ArrayView<int> Lengths; // [B]
    public int HasLengths;

    /// <summary>Sequence b takes part in time t when t &lt; its length.</summary>
    public readonly bool IsActive(int t, int b) => HasLengths == 0 || t < Lengths[b];
}

/// <summary>
/// One recurrent step as one launch: the recurrent matrix product with the cell's gate math,
/// state update and output write fused into its epilogue (Appleyard et al. 2016). Tiles are
/// staged in shared memory (padded against bank conflicts); each thread accumulates 8 batch
/// rows in registers. CPU twins: the per-step loops of <c>src/Rnn.Cpu/Kernels/{Lstm,Gru,RnnCell}{Forward,Backward}.cs</c>.
/// </summary>
internal static class RecurrentStep
{
    /// <summary>Batch rows per group.</summary>
    public const int Rows = 8;

    /// <summary>Reduction depth of one shared-memory tile.</summary>
    public const int Depth = 32;

    private const int Columns = LaunchShapes.GroupSize;
    /// <summary>Row stride of the forward weight tile in shared memory, padded against bank conflicts.</summary>
    public const int WeightStride = Depth + 1;

    /// <summary>Units per group of a forward step: one product column per thread, all gates of a unit in one group.</summary>
    public static int UnitsPerGroup(int gates) => Columns / gates;

    /// <summary>
    /// Grid (ceil(Units / UnitsPerGroup), ceil(B / 8)), 64 threads. Thread c computes product
    /// column c (gate c / UnitsPerGroup of unit c % UnitsPerGroup) for 8 rows; the products go
    /// through shared memory so that each epilogue sees all gates of its unit.
    /// </summary>
    [Kernel]
    public static void Forward<TCell>(StepArgs<RecurrentProduct, TCell> a)
        where TCell : struct, IForwardCell
    {
        var p = a.Product;
        var wTile = SharedMemory.Allocate<float>(Columns * WeightStride);
        var hTile = SharedMemory.Allocate<float>(Rows * Depth);
        var products = SharedMemory.Allocate<float>(Rows * Columns);
        var tid = Group.IdxX;
        var upg = p.UnitsPerGroup;
        var u0 = Grid.IdxX * upg;
        var b0 = Grid.IdxY * Rows;
        var columns = p.Gates * upg;
        RowSums sums = default;

        // The weight row of each product column, once, so that tile loads do no division by the units per group.
        var weightRows = SharedMemory.Allocate<int>(Columns);
        var unitOfThread = u0 + tid % upg;
        weightRows[tid] = tid < columns && unitOfThread < p.Units ? p.RowOffset + tid / upg * p.GateStride + unitOfThread : -1;
        Group.Barrier();

        // Tiles are loaded one ahead into registers (TileStaging.cs), so their global loads overlap the arithmetic.
        var tiles = TilePipeline<StepWeightTile, Staged32, StepInputTile, Staged4>.Start(
            new StepWeightTile(p, weightRows, tid, 0), new StepInputTile(p, b0, tid, 0));
        for (var k0 = 0; k0 < p.K; k0 += Depth)
        {
            tiles.Advance(k0, Depth, p.K, wTile, hTile);
            for (var kk = 0; kk < Depth; kk++) sums.MulAdd(wTile[tid * WeightStride + kk], hTile, Depth, kk);
            Group.Barrier();
        }
        sums.Store(products, Columns, tid);
        Group.Barrier();

        for (var q = tid; q < Rows * upg; q += Columns)
        {
            int r = q / upg, u = q % upg;
            int b = b0 + r, j = u0 + u;
            if (b < p.Batch && j < p.Units) a.Cell.Apply(a.S, a.T, b, j, a.IsActive(b), products, r * Columns + u, upg);
        }
    }

    /// <summary>Columns of the transposed product per group of a backward step.</summary>
    public const int BackwardColumns = 16;

    /// <summary>Threads that share one column's reduction, each over a quarter of every tile.</summary>
    private const int BackwardParts = Columns / BackwardColumns;

    /// <summary>
    /// Rows of the reduction per backward tile: 128, four times the forward's depth, because a
    /// backward tile feeds 16 columns rather than 64, and the tile loads and barriers need as
    /// much arithmetic behind them.
    /// </summary>
    public const int BackwardDepth = 128;

    /// <summary>
    /// Grid (ceil(Units / 16), ceil(B / 8)), 64 threads. Column j = j0 + (c mod 16) for 8 rows is
    /// shared by four threads, each taking every fourth row of each 128-row tile (rows 4i + part:
    /// the two parts a warp holds then read opposite halves of the 32 banks) of the reduction (the
    /// reduction over G·H rows is four times as long as the forward's, so splitting it keeps the
    /// chain per thread as short and the grid as large: 512 groups at H = 1024, B = 64). The other
    /// three hand their sums to the first through shared memory, which adds them in a fixed order
    /// and runs the cell's backward epilogue.
    /// </summary>
    [Kernel]
    public static void Backward<TCell>(StepArgs<TransposedProduct, TCell> a)
        where TCell : struct, IBackwardCell
    {
        var p = a.Product;
        var wTile = SharedMemory.Allocate<float>(BackwardDepth * BackwardColumns);
        var vTile = SharedMemory.Allocate<float>(Rows * BackwardDepth);
        var partial = SharedMemory.Allocate<float>((BackwardParts - 1) * Rows * BackwardColumns);
        var tid = Group.IdxX;
        int column = tid % BackwardColumns, part = tid / BackwardColumns;
        var j0 = Grid.IdxX * BackwardColumns;
        var j = j0 + column;
        var b0 = Grid.IdxY * Rows;
        RowSums sums = default;

        var tiles = TilePipeline<TransposedWeightTile, Staged32, GradientTile, Staged16>.Start(
            new TransposedWeightTile(p, j0, tid, 0), new GradientTile(p, b0, tid, 0));
        for (var r0 = 0; r0 < p.Rows; r0 += BackwardDepth)
        {
            tiles.Advance(r0, BackwardDepth, p.Rows, wTile, vTile);
            for (var rr = part; rr < BackwardDepth; rr += BackwardParts)
                sums.MulAdd(wTile[rr * BackwardColumns + column], vTile, BackwardDepth, rr);
            Group.Barrier();
        }
        if (part > 0) sums.Store(partial, BackwardColumns, (part - 1) * Rows * BackwardColumns + column);
        Group.Barrier();
        if (part > 0 || j >= p.Units) return;
        Finish(a, b0, j, sums.R0 + Others(partial, 0, column));
        Finish(a, b0 + 1, j, sums.R1 + Others(partial, 1, column));
        Finish(a, b0 + 2, j, sums.R2 + Others(partial, 2, column));
        Finish(a, b0 + 3, j, sums.R3 + Others(partial, 3, column));
        Finish(a, b0 + 4, j, sums.R4 + Others(partial, 4, column));
        Finish(a, b0 + 5, j, sums.R5 + Others(partial, 5, column));
        Finish(a, b0 + 6, j, sums.R6 + Others(partial, 6, column));
        Finish(a, b0 + 7, j, sums.R7 + Others(partial, 7, column));
    }

    /// <summary>The other three parts' sums for one row and column, added in a fixed order.</summary>
    private static float Others(ArrayView<float> partial, int row, int column)
    {
        var i = row * BackwardColumns + column;
        const int part = Rows * BackwardColumns;
        return partial[i] + partial[i + part] + partial[i + 2 * part];
    }

    private static void Finish<TCell>(StepArgs<TransposedProduct, TCell> a, int b, int j, float recurrent)
        where TCell : struct, IBackwardCell
    {
        if (b < a.Product.Batch) a.Cell.Apply(a.S, a.T, b, j, a.IsActive(b), recurrent);
    }
}

/// <summary>
/// A thread's sums for the <see cref="RecurrentStep.Rows"/> batch rows of a step group, in registers
/// (eight named fields rather than an array, which the GPU would keep in local memory).
/// </summary>
internal struct RowSums
{
    public float R0, R1, R2, R3, R4, R5, R6, R7;

    /// <summary>Row r's sum += w · tile[r · stride + k], rows in order: each row's chain of adds is the kernel's operation order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MulAdd(float w, ArrayView<float> tile, int stride, int k)
    {
        R0 += w * tile[k];
        R1 += w * tile[stride + k];
        R2 += w * tile[2 * stride + k];
        R3 += w * tile[3 * stride + k];
        R4 += w * tile[4 * stride + k];
        R5 += w * tile[5 * stride + k];
        R6 += w * tile[6 * stride + k];
        R7 += w * tile[7 * stride + k];
    }

    /// <summary>to[offset + r · stride] = row r's sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(ArrayView<float> to, int stride, int offset)
    {
        to[offset] = R0;
        to[stride + offset] = R1;
        to[2 * stride + offset] = R2;
        to[3 * stride + offset] = R3;
        to[4 * stride + offset] = R4;
        to[5 * stride + offset] = R5;
        to[6 * stride + offset] = R6;
        to[7 * stride + offset] = R7;
    }
}

/// <summary>
/// A forward step's weight tile, 64 product columns (all gates of UnitsPerGroup units) by Depth
/// of K: the thread's element i is column tid / 32 + 2i at depth tid % 32, so a warp reads 32
/// consecutive k of one weight row. <c>rows</c> holds each column's weight row, or −1 past the
/// layer's units.
/// </summary>
internal readonly struct StepWeightTile(RecurrentProduct p, ArrayView<int> rows, int tid, int k0) : ITileSource<StepWeightTile>
{
    public StepWeightTile At(int depth) => new(p, rows, tid, depth);

    private const int ColumnsPerPass = LaunchShapes.GroupSize / RecurrentStep.Depth;

    public float Load(int i)
    {
        int row = rows[tid / RecurrentStep.Depth + ColumnsPerPass * i], k = k0 + tid % RecurrentStep.Depth;
        return row >= 0 && k < p.K ? p.Weight[row * p.K + k] : 0f;
    }

    public int SharedIndex(int i) =>
        (tid / RecurrentStep.Depth + ColumnsPerPass * i) * RecurrentStep.WeightStride + tid % RecurrentStep.Depth;
}

/// <summary>A forward step's input tile, 8 batch rows of h(t−1) by Depth of K: element i is row tid / 32 + 2i at depth tid % 32.</summary>
internal readonly struct StepInputTile(RecurrentProduct p, int b0, int tid, int k0) : ITileSource<StepInputTile>
{
    public StepInputTile At(int depth) => new(p, b0, tid, depth);

    private const int RowsPerPass = LaunchShapes.GroupSize / RecurrentStep.Depth;

    public float Load(int i)
    {
        int b = b0 + tid / RecurrentStep.Depth + RowsPerPass * i, k = k0 + tid % RecurrentStep.Depth;
        return b < p.Batch && k < p.K ? p.Input[b * p.LdInput + k] : 0f;
    }

    public int SharedIndex(int i) => tid + LaunchShapes.GroupSize * i;
}

/// <summary>
/// A backward step's weight tile, BackwardDepth rows of the reduction by 16 columns, read along
/// the columns: element i is row tid / 16 + 4i, column tid % 16.
/// </summary>
internal readonly struct TransposedWeightTile(TransposedProduct p, int j0, int tid, int r0) : ITileSource<TransposedWeightTile>
{
    public TransposedWeightTile At(int depth) => new(p, j0, tid, depth);

    private const int RowsPerPass = LaunchShapes.GroupSize / RecurrentStep.BackwardColumns;

    public float Load(int i)
    {
        int r = r0 + tid / RecurrentStep.BackwardColumns + RowsPerPass * i, col = j0 + tid % RecurrentStep.BackwardColumns;
        return r < p.Rows && col < p.Units ? p.Weight[(p.RowOffset + r) * p.Ld + col] : 0f;
    }

    public int SharedIndex(int i) => tid + LaunchShapes.GroupSize * i;
}

/// <summary>
/// A backward step's gate-gradient tile, 8 batch rows by BackwardDepth rows of the reduction:
/// element i is batch row i / 2 at depth tid + 64·(i mod 2), so a warp reads 32 consecutive
/// gate gradients of one row.
/// </summary>
internal readonly struct GradientTile(TransposedProduct p, int b0, int tid, int r0) : ITileSource<GradientTile>
{
    public GradientTile At(int depth) => new(p, b0, tid, depth);

    private const int PassesPerRow = RecurrentStep.BackwardDepth / LaunchShapes.GroupSize;

    public float Load(int i)
    {
        int b = b0 + i / PassesPerRow, r = r0 + tid + LaunchShapes.GroupSize * (i % PassesPerRow);
        return b < p.Batch && r < p.Rows ? p.Vector[b * p.LdVector + p.VectorOffset + r] : 0f;
    }

    public int SharedIndex(int i) => tid + LaunchShapes.GroupSize * i;
}

/// <summary>
/// Where a direction keeps its states. Training keeps every step ([T+1, B, ...], slot 0 = the
/// initial state going forward in time, slot T going backwards) so BPTT can read them;
/// inference ping-pongs between two slots.
/// </summary>
internal struct StateSlots
{
    public int Training, Reverse, Steps;

    /// <summary>The slot holding the state step (s, t) starts from.</summary>
    public readonly int Previous(int s, int t) => Training != 0 ? (Reverse != 0 ? t + 1 : t) : s & 1;

    /// <summary>The slot step (s, t) writes.</summary>
    public readonly int Output(int s, int t) => Training != 0 ? (Reverse != 0 ? t : t + 1) : (s + 1) & 1;

    /// <summary>The slot of the initial state.</summary>
    public readonly int Initial => Training != 0 && Reverse != 0 ? Steps : 0;

    /// <summary>The slot of the final state.</summary>
    public readonly int Final => Training != 0 ? (Reverse != 0 ? 0 : Steps) : Steps & 1;

    /// <summary>The gate-storage row block of time t: every step in training, one reused block otherwise.</summary>
    public readonly int GateBlock(int t) => Training != 0 ? t : 0;
}
