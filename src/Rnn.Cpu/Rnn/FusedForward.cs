using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GpuRnn.Cpu.Kernels;

namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// The float32 forward of one direction of an LSTM (no projection) or a GRU (reset after) with one
/// fused kernel per time step, panel of units and tile of batch rows (<see cref="LstmStep"/>,
/// <see cref="GruStep"/>): the input projection, the recurrent product, the biases and the cell
/// update in one pass, with no [T, B, G*H] intermediate. With at least a tile of rows for every
/// thread the batch rows are split statically between the threads: each runs the whole sequence for
/// its rows with no synchronisation, since a row's recurrence needs only its own previous state;
/// each reads all of the packed weights. With fewer rows (batch 1 to a few), the panels of units
/// are split within each step instead, so each thread streams only its share of the weights.
/// </summary>
internal static unsafe class FusedForward
{
    /// <summary>Whether the fused path handles this layer in float32 on this machine.</summary>
    public static bool Supports(RnnLayerDesc layer) =>
        PackedGemm.IsSupported && layer.ProjSize == 0
        && (layer.Cell == RnnCellKind.Lstm || layer.Cell == RnnCellKind.Gru && layer.GruVariant == GruVariant.ResetAfter);

    /// <summary>
    /// Runs the direction over all steps. With a <paramref name="reserve"/> the states and gate
    /// activations of every step go there (the backward's input); without one, two steps of state suffice.
    /// </summary>
    /// <remarks>
    /// Without a reserve (inference) the packed weights come from <paramref name="cache"/> when the
    /// weights have not changed since they were packed; a training forward packs them afresh.
    /// </remarks>
    public static void Run(BufferPool pool, PackedWeightCache cache, RnnLayerDesc layer, in DirectionWeights<float> weights, in DirectionIO<float> io,
        int steps, int batch, bool reverse, int[]? lengths, DirectionState<float>? reserve)
    {
        if (PackedGemm.Wide) Run<Vector512<float>, Lanes16>(pool, cache, layer, weights, io, steps, batch, reverse, lengths, reserve);
        else Run<Vector256<float>, Lanes8>(pool, cache, layer, weights, io, steps, batch, reverse, lengths, reserve);
    }

    // Rows per tile: four rows of four accumulators need 16 of the 32 vector registers that AVX-512
    // machines have; with 16 registers (AVX2) two rows leave room for the weights.
    private static readonly int TileRows = Vector512.IsHardwareAccelerated ? 4 : 2;

    // Rows of x (steps x batch) whose sums over x are computed ahead at once on the small-batch path:
    // enough rows for the input weights to be reused from cache, few enough to stay there.
    private const int InputSumRows = 128;

    // The least weights (floats) a thread streams per step on the small-batch path: below this the
    // step is too short (a few microseconds) for splitting it between threads to pay.
    private const long MinWeightsPerWorker = 1 << 16;

    /// <summary>
    /// The steps of a run: the packed weights (from the cache or packed afresh), a plan of raw
    /// pointers into pinned memory, then one of three schedules, chosen by the batch and the thread count.
    /// </summary>
    private static void Run<TV, TL>(BufferPool pool, PackedWeightCache cache, RnnLayerDesc layer, in DirectionWeights<float> weights, in DirectionIO<float> io,
        int steps, int batch, bool reverse, int[]? lengths, DirectionState<float>? reserve)
        where TV : struct where TL : IFloatLanes<TV>
    {
        var threads = CpuThreads.Count;
        using var packed = PackedPanels.For(pool, cache, layer, weights, TL.Count, threads, useCache: reserve is null);
        using var memory = new PlanMemory(pool, io);
        var plan = Bind<TV, TL>(packed.Panels, memory, layer, io, steps, batch, reverse, lengths, reserve);
        var panels = packed.Panels;
        switch (Choose(panels, batch, threads, out var workers))
        {
            case Schedule.SplitRows: RunSplitRows(plan, batch, workers); break;
            case Schedule.SplitPanels: RunSplitPanels(plan, memory, panels, steps, batch, workers); break;
            default: plan.Work(0, batch); break;
        }
    }

    /// <summary>How a run's work is split between the threads.</summary>
    private enum Schedule
    {
        /// <summary>One thread runs every step for every row.</summary>
        OneThread,

        /// <summary>Each thread runs the whole sequence for its own tiles of batch rows, with no synchronisation.</summary>
        SplitRows,

        /// <summary>Each step's panels of units are split between the threads, which meet once a step.</summary>
        SplitPanels,
    }

    /// <summary>
    /// The schedule, and its number of workers. Every split is static and every (panel, row tile) is
    /// computed by the same code whatever the thread count, so the bits do not depend on it. With a
    /// tile of rows for every thread, the rows are split and each thread runs the whole sequence
    /// alone; with fewer (small batches, inference one sequence at a time), the panels of units are
    /// split within each step, and the threads meet once a step, since the next step needs every unit of h.
    /// </summary>
    private static Schedule Choose(GatePanels panels, int batch, int threads, out int workers)
    {
        var tiles = (batch + TileRows - 1) / TileRows;
        var rowWorkers = Math.Min(threads, tiles);
        var panelWorkers = (int)Math.Min(Math.Min(threads, panels.Panels), Math.Max(1, panels.PanelLength * panels.Panels / MinWeightsPerWorker));
        if (rowWorkers > 1 && rowWorkers >= panelWorkers)
        {
            workers = rowWorkers;
            return Schedule.SplitRows;
        }
        workers = panelWorkers;
        return panelWorkers <= 1 ? Schedule.OneThread : Schedule.SplitPanels;
    }

    /// <summary>Each of <paramref name="workers"/> threads runs the whole sequence for its share of the row tiles.</summary>
    private static void RunSplitRows<TV, TL>(Plan<TV, TL> plan, int batch, int workers)
        where TV : struct where TL : IFloatLanes<TV>
    {
        var tiles = (batch + TileRows - 1) / TileRows;
        Parallel.For(0, workers, w =>
        {
            int first = tiles * w / workers * TileRows, last = Math.Min(batch, tiles * (w + 1) / workers * TileRows);
            plan.Work(first, last);
        });
    }

    /// <summary>
    /// Each step split over the panels between <paramref name="workers"/> threads. The sums over x do
    /// not depend on h, so they are computed ahead for a chunk of steps at once (every row of the chunk
    /// against each panel's input weights, as a GEMM would), and each step streams only the hidden
    /// part of the weights. Stages, in order: a chunk's sums over x, then its steps one by one; each
    /// split over the panels.
    /// </summary>
    private static void RunSplitPanels<TV, TL>(Plan<TV, TL> plan, PlanMemory memory, GatePanels panels, int steps, int batch, int workers)
        where TV : struct where TL : IFloatLanes<TV>
    {
        var chunk = Math.Clamp(InputSumRows / batch, 1, steps);
        plan.Chunk = chunk;
        plan.InputSums = memory.Scratch(panels.Panels * chunk * batch * 4 * TL.Count, clear: false);
        var chunks = (steps + chunk - 1) / chunk;
        var stageStep = new int[steps + chunks]; // the step of each stage; ~chunk start for a chunk's sums
        for (int step = 0, stage = 0; step < steps; step++)
        {
            if (step % chunk == 0) stageStep[stage++] = ~step;
            stageStep[stage++] = step;
        }
        StagedWork.Run(stageStep.Length, workers, workers, (stage, w) =>
        {
            int first = panels.Panels * w / workers, last = panels.Panels * (w + 1) / workers, step = stageStep[stage];
            if (step < 0) plan.ComputeInputSums(~step, first, last);
            else plan.Step(step, first, last, 0, batch);
        });
        plan.CopyFinalStates(0, batch);
    }

    /// <summary>
    /// The plan of a run: pointers to x, y, the initial and final states, the states of the steps
    /// (the reserve's when training, else two steps of scratch used in turn) and the lengths.
    /// </summary>
    private static Plan<TV, TL> Bind<TV, TL>(GatePanels panels, PlanMemory memory, RnnLayerDesc layer, in DirectionIO<float> io,
        int steps, int batch, bool reverse, int[]? lengths, DirectionState<float>? reserve)
        where TV : struct where TL : IFloatLanes<TV>
    {
        var lstm = layer.Cell == RnnCellKind.Lstm;
        var plan = new Plan<TV, TL>(panels, lstm, layer.Peepholes, steps, batch, reverse);
        var stateLength = batch * layer.HiddenSize;
        var zeros = io.H0.IsEmpty || lstm && io.C0.IsEmpty ? memory.Scratch(stateLength, clear: true) : null;
        plan.X = memory.X;
        plan.Y = memory.Y + io.Y.Offset;
        plan.LdY = io.Y.RowStride;
        plan.H0 = io.H0.IsEmpty ? zeros : memory.H0;
        plan.H0IsZero = io.H0.IsEmpty;
        plan.C0 = !lstm ? null : io.C0.IsEmpty ? zeros : memory.C0;
        plan.HN = memory.HN;
        plan.CN = memory.CN;
        if (reserve is null)
        {
            plan.HSteps = memory.Scratch(2 * stateLength, clear: false);
            plan.CSteps = lstm ? memory.Scratch(2 * stateLength, clear: false) : null;
        }
        else
        {
            plan.Reserve = true;
            plan.HSteps = Address(reserve.H);
            plan.CSteps = lstm ? Address(reserve.C) : null;
            plan.Gates = Address(reserve.Gates);
            plan.Extra = lstm ? null : Address(reserve.Extra);
        }
        if (lengths is not null) plan.Lengths = memory.Copy(lengths);
        return plan;
    }

    /// <summary>
    /// The packed weights of a run: the cache's (inference, while the weights are unchanged since
    /// they were packed) or packed afresh into pooled panels (training, or weights with no snapshot).
    /// </summary>
    private readonly struct PackedPanels : IDisposable
    {
        private readonly PackedWeightCache.Lease? _lease;
        private readonly GatePanels? _fresh;

        private PackedPanels(PackedWeightCache.Lease? lease, GatePanels? fresh, GatePanels panels)
        {
            _lease = lease;
            _fresh = fresh;
            Panels = panels;
        }

        public GatePanels Panels { get; }

        public static PackedPanels For(BufferPool pool, PackedWeightCache cache, RnnLayerDesc layer, in DirectionWeights<float> weights,
            int lanes, int threads, bool useCache)
        {
            var lstm = layer.Cell == RnnCellKind.Lstm;
            var geometry = new PackedWeightCache.PanelGeometry(lanes, layer.GateCount, layer.HiddenSize, layer.InputSize, layer.HiddenSize,
                lstm ? LstmStep.VectorSlots : GruStep.VectorSlots);
            if (useCache && weights.Snapshot is { } snapshot)
            {
                var source = weights; // an 'in' parameter cannot be captured
                var lease = cache.Acquire(snapshot, geometry, p => Pack(p, source, lstm, threads));
                return new PackedPanels(lease, null, lease.Panels);
            }
            var fresh = geometry.Allocate(pool);
            Pack(fresh, weights, lstm, threads);
            return new PackedPanels(null, fresh, fresh);
        }

        public void Dispose()
        {
            _fresh?.Dispose();
            _lease?.Dispose();
        }
    }

    /// <summary>The pinned memory of a run: the caller's tensors and the scratch rented from the pool, returned on dispose.</summary>
    private sealed class PlanMemory : IDisposable
    {
        private readonly BufferPool _pool;
        private readonly List<Array> _rented = [];
        private MemoryHandle _x, _y, _h0, _c0, _hN, _cN;

        public PlanMemory(BufferPool pool, in DirectionIO<float> io)
        {
            _pool = pool;
            _x = io.X.Pin();
            _y = io.Y.Whole.Pin();
            _h0 = io.H0.Pin();
            _c0 = io.C0.Pin();
            _hN = io.HN.Pin();
            _cN = io.CN.Pin();
        }

        public float* X => (float*)_x.Pointer;
        public float* Y => (float*)_y.Pointer;
        public float* H0 => (float*)_h0.Pointer;
        public float* C0 => (float*)_c0.Pointer;
        public float* HN => (float*)_hN.Pointer;
        public float* CN => (float*)_cN.Pointer;

        /// <summary>Pooled (so pinned) scratch of <paramref name="length"/> floats, zeroed when <paramref name="clear"/>.</summary>
        public float* Scratch(int length, bool clear)
        {
            var array = clear ? _pool.RentCleared<float>(length) : _pool.Rent<float>(length);
            _rented.Add(array);
            return Address(array);
        }

        /// <summary>A pooled (pinned) copy of <paramref name="values"/>.</summary>
        public int* Copy(int[] values)
        {
            var pinned = _pool.Rent<int>(values.Length);
            _rented.Add(pinned);
            values.CopyTo(pinned, 0);
            fixed (int* p = pinned) return p; // pooled arrays are pinned
        }

        public void Dispose()
        {
            foreach (var array in _rented) _pool.Return(array);
            _cN.Dispose();
            _hN.Dispose();
            _c0.Dispose();
            _h0.Dispose();
            _y.Dispose();
            _x.Dispose();
        }
    }

    /// <summary>The first element of a pooled (pinned) array.</summary>
    private static float* Address(float[] pooled)
    {
        fixed (float* p = pooled) return p;
    }

    /// <summary>Packs the weights and the per-unit vectors, the panels split between the threads.</summary>
    private static void Pack(GatePanels panels, in DirectionWeights<float> weights, bool lstm, int threads)
    {
        var (ih, hh) = (weights.WeightIh, weights.WeightHh);
        var workers = Math.Min(threads, panels.Panels);
        if (workers <= 1) panels.PackWeights(ih.Span, hh.Span, 0, panels.Panels);
        else Parallel.For(0, workers, w => panels.PackWeights(ih.Span, hh.Span, panels.Panels * w / workers, panels.Panels * (w + 1) / workers));

        int h = panels.Hidden;
        var bih = weights.BiasIh.Span;
        var bhh = weights.BiasHh.Span;
        ReadOnlySpan<float> Block(ReadOnlySpan<float> v, int gate) => v.IsEmpty ? v : v.Slice(gate * h, h);
        if (lstm)
        {
            for (var g = 0; g < 4; g++) panels.SetVector(g, Block(bih, g), Block(bhh, g));
            panels.SetVector(4, weights.WeightCi.Span, []);
            panels.SetVector(5, weights.WeightCf.Span, []);
            panels.SetVector(6, weights.WeightCo.Span, []);
        }
        else
        {
            panels.SetVector(0, Block(bih, 0), Block(bhh, 0));
            panels.SetVector(1, Block(bih, 1), Block(bhh, 1));
            panels.SetVector(2, Block(bih, 2), []);
            panels.SetVector(3, Block(bhh, 2), []);
        }
    }

    /// <summary>Everything a worker needs, as raw pointers into pinned memory.</summary>
    private sealed class Plan<TV, TL>(GatePanels panels, bool lstm, bool peepholes, int steps, int batch, bool reverse)
        where TV : struct where TL : IFloatLanes<TV>
    {
        public float* X, Y, H0, C0, HN, CN, HSteps, CSteps, Gates, Extra;
        public int LdY;
        public int* Lengths;
        /// <summary>Whether H0 is the zero buffer standing in for an absent h0.</summary>
        public bool H0IsZero;
        /// <summary>Whether HSteps/CSteps are the reserve's [T, B, H] (else two [B, H] steps used in turn).</summary>
        public bool Reserve;
        /// <summary>
        /// Null, or the sums over x (biases included) of the chunk of steps in hand, [panel][row][4U]
        /// with rows (t - the chunk's first time) * B + b; chunks of <see cref="Chunk"/> steps.
        /// </summary>
        public float* InputSums;
        public int Chunk;

        /// <summary>The chunk holding a step: its first time index (the lowest, in either direction) and its rows.</summary>
        private (int Time, int Rows) ChunkOf(int step)
        {
            int start = step / Chunk * Chunk, count = Math.Min(Chunk, steps - start);
            return (reverse ? steps - start - count : start, count * batch);
        }

        /// <summary>
        /// The sums over x of the chunk that starts at <paramref name="chunkStep"/>, for panels
        /// [firstPanel, lastPanel): each row runs the kernels' own sums, stopped before h.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void ComputeInputSums(int chunkStep, int firstPanel, int lastPanel)
        {
            int input = panels.InputSize, u = TL.Count;
            var (time, rows) = ChunkOf(chunkStep);
            var x = X + (long)time * batch * input;
            for (var p = firstPanel; p < lastPanel; p++)
            {
                var to = InputSums + (long)p * rows * 4 * u;
                var r = 0;
                if (TileRows == 4)
                {
                    for (; r + 4 <= rows; r += 4) InputSumTile<FourRows>(p, x + (long)r * input, to + r * 4 * u);
                    if (rows - r == 3) InputSumTile<ThreeRows>(p, x + (long)r * input, to + r * 4 * u);
                    else if (rows - r == 2) InputSumTile<TwoRows>(p, x + (long)r * input, to + r * 4 * u);
                    else if (rows - r == 1) InputSumTile<OneRow>(p, x + (long)r * input, to + r * 4 * u);
                    continue;
                }
                for (; r + 2 <= rows; r += 2) InputSumTile<TwoRows>(p, x + (long)r * input, to + r * 4 * u);
                if (r < rows) InputSumTile<OneRow>(p, x + (long)r * input, to + r * 4 * u);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void InputSumTile<TR>(int p, float* x, float* to) where TR : IRowCount
        {
            int input = panels.InputSize;
            if (lstm) StepSums.Accumulate<TV, TL, TR, LstmGates>(panels.Panel(p), panels.Vectors(p), 0, x, input, input, null, 0, 0, to);
            else StepSums.Accumulate<TV, TL, TR, GruGates>(panels.Panel(p), panels.Vectors(p), 0, x, input, input, null, 0, 0, to);
        }

        /// <summary>Runs every step for batch rows [first, last), then writes their final states.</summary>
        public void Work(int first, int last)
        {
            for (var step = 0; step < steps; step++) Step(step, 0, panels.Panels, first, last);
            CopyFinalStates(first, last);
        }

        /// <summary>Runs one step (in processing order) for panels [firstPanel, lastPanel) of batch rows [first, last).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Step(int step, int firstPanel, int lastPanel, int first, int last)
        {
            int hidden = panels.Hidden, input = panels.InputSize, state = batch * hidden, gates = panels.Gates;
            var scratch = stackalloc float[TL.Count];
            var sums = stackalloc float[16 * TL.Count];
            var t = reverse ? steps - 1 - step : step;
            var s = new StepPointers { LdX = input, LdY = LdY, Lengths = Lengths, Scratch = scratch, Sums = sums, Time = t };
            s.X = X + (long)t * batch * input;
            s.Y = Y + (long)t * batch * LdY;
            s.HPrev = step == 0 ? H0 : HSteps + Slot(step - 1) * state;
            s.HPrevIsZero = step == 0 && H0IsZero;
            s.HOut = HSteps + Slot(step) * state;
            if (lstm)
            {
                s.CPrev = step == 0 ? C0 : CSteps + Slot(step - 1) * state;
                s.COut = CSteps + Slot(step) * state;
            }
            if (Reserve)
            {
                s.Gates = Gates + (long)t * gates * state;
                s.Extra = Extra == null ? null : Extra + (long)t * state;
            }
            if (InputSums != null)
            {
                var (time, rows) = ChunkOf(step);
                s.InputSums = InputSums + (long)(t - time) * batch * 4 * TL.Count;
                s.InputSumsPanelStride = (long)rows * 4 * TL.Count;
            }
            // Panels outside, rows inside: a panel's weights stay in L2 while every row tile uses them.
            for (var p = firstPanel; p < lastPanel; p++) Rows(p, s, first, last);
        }

        /// <summary>Copies the last step's states of batch rows [first, last) to hN and cN.</summary>
        public void CopyFinalStates(int first, int last)
        {
            int hidden = panels.Hidden, state = batch * hidden;
            var lastSlot = Slot(steps - 1) * state;
            var rows = (long)first * hidden;
            var count = (last - first) * hidden;
            if (HN != null) new ReadOnlySpan<float>(HSteps + lastSlot + rows, count).CopyTo(new Span<float>(HN + rows, count));
            if (lstm && CN != null) new ReadOnlySpan<float>(CSteps + lastSlot + rows, count).CopyTo(new Span<float>(CN + rows, count));
        }

        /// <summary>Where step s's state lives: its time index in the reserve, else alternating between two slots.</summary>
        private long Slot(int step) => Reserve ? (reverse ? steps - 1 - step : step) : step & 1;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Rows(int p, in StepPointers s, int first, int last)
        {
            var r = first;
            if (TileRows == 4)
            {
                for (; r + 4 <= last; r += 4) Tile<FourRows>(p, s, r);
                if (last - r == 3) Tile<ThreeRows>(p, s, r);
                else if (last - r == 2) Tile<TwoRows>(p, s, r);
                else if (last - r == 1) Tile<OneRow>(p, s, r);
                return;
            }
            for (; r + 2 <= last; r += 2) Tile<TwoRows>(p, s, r);
            if (r < last) Tile<OneRow>(p, s, r);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Tile<TR>(int p, in StepPointers s, int row0) where TR : IRowCount
        {
            if (lstm) LstmStep.Tile<TV, TL, TR>(panels, p, s, row0, peepholes);
            else GruStep.Tile<TV, TL, TR>(panels, p, s, row0);
        }
    }
}
