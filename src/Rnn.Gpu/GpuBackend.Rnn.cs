using GpuRnn.Gpu.Kernels;
using GpuRnn.Gpu.Rnn;
using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Gpu;

public sealed partial class GpuBackend
{
    // Dynamic shared memory beyond 48 KB needs cuFuncSetAttribute, which ILGPU does not call.
    private const int SharedMemoryLimit = 48 * 1024;

    // The persistent kernel keeps h(t-1) of every sequence on chip; beyond this it is not "small batch".
    private const int PersistentMaxBatch = 16;

    /// <inheritdoc/>
    protected override RnnReserve? RnnForwardCore(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
        Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training)
        => Forward(layer, weights, x, lengths, h0, c0, y, hN, cN, training, GpuRecurrentAlgorithm.Auto);

    /// <summary><see cref="BackendBase.RnnForward"/> with the time loop's algorithm chosen (the tests compare them).</summary>
    internal RnnReserve? RnnForward(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
        Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training, GpuRecurrentAlgorithm algorithm)
    {
        RnnChecks.Forward(this, layer, weights, x, lengths, h0, c0, y, hN, cN);
        return Forward(layer, weights, x, lengths, h0, c0, y, hN, cN, training, algorithm);
    }

    /// <summary>The forward on checked arguments.</summary>
    private RnnReserve? Forward(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
        Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training, GpuRecurrentAlgorithm algorithm)
    {
        lock (_gate)
        {
            if (layer.HasCellOptions) return CellOptionsForward(layer, weights, x, lengths, h0, c0, y, hN, cN, training);
            int steps = x.Shape[0], batch = x.Shape[1];
            var call = new RecurrentCall(layer, steps, batch, Mask(lengths, steps), F(x, nameof(x)), F(y, nameof(y)));
            var reserves = training ? new GpuDirectionReserve[layer.Directions] : null;
            try
            {
                for (var d = 0; d < layer.Directions; d++)
                {
                    var w = Views(weights.Directions[d]);
                    DirectionBuffers buffers;
                    if (reserves is not null)
                    {
                        var reserve = reserves[d] = new GpuDirectionReserve(this, _accelerator,
                            (long)(steps + 1) * batch * call.StateSize,
                            layer.HasCellState ? (long)(steps + 1) * batch * call.Hidden : 0,
                            (long)call.Rows * call.GateStorage,
                            layer.ProjSize > 0 ? (long)call.Rows * call.Hidden : 0);
                        buffers = Buffers(call, d, reserve.States, reserve.Cells, reserve.Gates, reserve.Projected, training: true);
                    }
                    else
                    {
                        buffers = Buffers(call, d,
                            _scratch.Floats(ScratchSlot.StateScratch, 2L * batch * call.StateSize),
                            _scratch.Floats(ScratchSlot.CellScratch, 2L * batch * call.Hidden),
                            _scratch.Floats(ScratchSlot.GatesScratch, (long)batch * Math.Max(1, call.GateStorage)),
                            _scratch.Floats(ScratchSlot.ProjectionScratch, (long)batch * call.Hidden), training: false);
                    }
                    ForwardDirection(call, d, w, buffers, h0, c0, hN, cN, algorithm);
                }
            }
            catch
            {
                if (reserves is not null) foreach (var r in reserves) r?.Dispose();
                throw;
            }
            return reserves is null ? null : new GpuRnnReserve(this, layer, steps, batch, reserves);
        }
    }

    private DirectionBuffers Buffers(RecurrentCall call, int d, ArrayView<float> states, ArrayView<float> cells,
        ArrayView<float> gates, ArrayView<float> projected, bool training) => new()
    {
        InputGates = _scratch.Floats(ScratchSlot.InputProjection, (long)call.Rows * call.GateRows),
        States = states,
        Cells = cells.IsValid ? cells : states,
        Gates = gates.IsValid ? gates : states,
        Projected = projected.IsValid ? projected : states,
        Slots = call.Slots(d, training),
    };

    private void ForwardDirection(RecurrentCall call, int d, DirectionWeightViews w, DirectionBuffers buffers,
        Tensor? h0, Tensor? c0, Tensor hN, Tensor? cN, GpuRecurrentAlgorithm algorithm)
    {
        var slots = buffers.Slots;
        LoadInitialStates(call, d, slots, buffers.States, buffers.Cells, h0, c0);

        // The input projection of every step at once: [T*B, I] x [I, G*H] + b_ih.
        var inputSize = call.Layer.InputSize;
        GemmViews(call.X, false, inputSize, w.WeightIh, true, inputSize, buffers.InputGates, call.GateRows,
            call.Rows, call.GateRows, inputSize, 1f, 0f, w.BiasIh);

        switch (call.Layer.Cell)
        {
            case RnnCellKind.Lstm: LstmForward(call, d, w, buffers, algorithm); break;
            case RnnCellKind.Gru: GruForward(call, d, w, buffers, algorithm); break;
            default: RnnCellForward(call, d, w, buffers, algorithm); break;
        }

        StoreFinalStates(call, d, slots, buffers.States, buffers.Cells, hN, cN);
    }

    /// <inheritdoc/>
    protected override void RnnBackwardCore(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
        Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0, Tensor dy, Tensor? dhN, Tensor? dcN,
        Tensor? dx, Tensor? dh0, Tensor? dc0)
        => Backward(layer, weights, gradients, reserve, x, lengths, dy, dhN, dcN, dx, dh0, dc0, GpuRecurrentAlgorithm.Auto);

    /// <summary>The backward with the time loop's algorithm chosen.</summary>
    internal void RnnBackward(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
        Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0, Tensor dy, Tensor? dhN, Tensor? dcN,
        Tensor? dx, Tensor? dh0, Tensor? dc0, GpuRecurrentAlgorithm algorithm)
    {
        RnnChecks.Backward(this, layer, weights, gradients, reserve, x, lengths, h0, c0, dy, dhN, dcN, dx, dh0, dc0);
        Backward(layer, weights, gradients, reserve, x, lengths, dy, dhN, dcN, dx, dh0, dc0, algorithm);
    }

    /// <summary>The backward on checked arguments (h0 and c0 are not read: the reserve holds the states).</summary>
    private void Backward(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
        Tensor x, SequenceLengths? lengths, Tensor dy, Tensor? dhN, Tensor? dcN,
        Tensor? dx, Tensor? dh0, Tensor? dc0, GpuRecurrentAlgorithm algorithm)
    {
        lock (_gate)
        {
            if (reserve is GpuCellOptionsReserve cellReserve)
            {
                CellOptionsBackward(layer, weights, gradients, cellReserve, x, lengths, dy, dhN, dcN, dx, dh0, dc0);
                return;
            }
            int steps = x.Shape[0], batch = x.Shape[1];
            if (reserve is not GpuRnnReserve gpuReserve)
                throw new ArgumentException("the reserve was not made by an ILGPU backend");
            if (gpuReserve.Directions.Any(r => r.IsDisposed))
                throw new ObjectDisposedException(nameof(reserve), "the reserve has been disposed; run a training forward again before the backward");
            var call = new RecurrentCall(layer, steps, batch, Mask(lengths, steps), F(x, nameof(x)), F(dy, nameof(dy)));
            for (var d = 0; d < layer.Directions; d++)
            {
                var w = Views(weights.Directions[d]);
                var g = Views(gradients.Directions[d]);
                var r = gpuReserve.Directions[d];
                var buffers = new DirectionBuffers
                {
                    States = r.States,
                    Cells = r.Cells.IsValid ? r.Cells : r.States,
                    Gates = r.Gates.IsValid ? r.Gates : r.States,
                    Projected = r.Projected.IsValid ? r.Projected : r.States,
                    Slots = call.Slots(d, training: true),
                };
                BackwardDirection(call, d, w, g, buffers, dhN, dcN, dx, dh0, dc0, algorithm);
            }
        }
    }

    private void BackwardDirection(RecurrentCall call, int d, DirectionWeightViews w, DirectionWeightViews g, DirectionBuffers buffers,
        Tensor? dhN, Tensor? dcN, Tensor? dx, Tensor? dh0, Tensor? dc0, GpuRecurrentAlgorithm algorithm)
    {
        int batch = call.Batch, p = call.StateSize, h = call.Hidden;
        var stateCarry = _scratch.Floats(ScratchSlot.HiddenCarry, (long)batch * p);
        if (dhN is null) FillView(stateCarry, 0);
        else CopyView(F(dhN, nameof(dhN)).SubView((long)d * batch * p, (long)batch * p), stateCarry);
        var cellCarry = _scratch.Floats(ScratchSlot.CellCarry, (long)batch * h);
        if (call.Layer.HasCellState)
        {
            if (dcN is null) FillView(cellCarry, 0);
            else CopyView(F(dcN, nameof(dcN)).SubView((long)d * batch * h, (long)batch * h), cellCarry);
        }
        var inputGradients = _scratch.Floats(ScratchSlot.GateGradients, (long)call.Rows * call.GateRows);

        // Each cell runs its time loop and its recurrent weight gradients; returns the gradient of the
        // input projection [T*B, G*H].
        switch (call.Layer.Cell)
        {
            case RnnCellKind.Lstm: LstmBackward(call, d, w, g, buffers, stateCarry, cellCarry, inputGradients, dh0, algorithm); break;
            case RnnCellKind.Gru: GruBackward(call, d, w, g, buffers, stateCarry, inputGradients, dh0, algorithm); break;
            default: RnnCellBackward(call, d, w, g, buffers, stateCarry, inputGradients, dh0, algorithm); break;
        }
        if (dc0 is not null && call.Layer.HasCellState)
            CopyView(cellCarry, F(dc0, nameof(dc0)).SubView((long)d * batch * h, (long)batch * h));

        // dW_ih += dPre^T x, db_ih += column sums of dPre, dx (+)= dPre W_ih.
        int inputSize = call.Layer.InputSize, gh = call.GateRows;
        GemmViews(inputGradients, true, gh, call.X, false, inputSize, g.WeightIh, inputSize, gh, inputSize, call.Rows, 1f, 1f);
        if (g.BiasIh.IsValid) SumRowsView(inputGradients, g.BiasIh, call.Rows, gh, 1f);
        if (dx is not null)
            GemmViews(inputGradients, false, gh, w.WeightIh, false, inputSize, F(dx, nameof(dx)), inputSize, call.Rows, inputSize, gh, 1f, d == 0 ? 0f : 1f);
    }

    /// <summary>The hidden states each step started from, [T*B, P]: slots 0..T-1 forward in time, 1..T backwards.</summary>
    private static ArrayView<float> PreviousStates(RecurrentCall call, int d, DirectionBuffers buffers) =>
        buffers.States.SubView((long)(d == 1 ? 1 : 0) * call.Batch * call.StateSize, (long)call.Rows * call.StateSize);

    /// <summary>
    /// dh0 [B, P] of direction d = W^T dPre(first step) over <paramref name="rows"/> gate rows, plus the carry.
    /// </summary>
    private void InitialStateGradient(RecurrentCall call, int d, ArrayView<float> weight, int rows, ArrayView<float> hiddenGradients,
        int ldGradients, ArrayView<float> stateCarry, Tensor? dh0)
    {
        if (dh0 is null) return;
        int batch = call.Batch, p = call.StateSize;
        var t = call.TimeAt(d, 0);
        var product = new TransposedProduct
        {
            Weight = weight, Vector = hiddenGradients.SubView((long)t * batch * ldGradients, (long)batch * ldGradients),
            RowOffset = 0, Rows = rows, Ld = p, Units = p, LdVector = ldGradients, VectorOffset = 0, Batch = batch,
        };
        var cell = new InitialStateGradientCell
        {
            StateCarry = stateCarry, Result = F(dh0, nameof(dh0)).SubView((long)d * batch * p, (long)batch * p), StateSize = p,
        };
        BackwardStep(product, call.Mask, 0, t, cell);
    }

    private void ForwardStep<TCell>(RecurrentProduct product, SequenceMask mask, int s, int t, TCell cell) where TCell : struct, IForwardCell
    {
        var grid = LaunchShapes.Grid2D(LaunchShapes.Blocks(product.Units, product.UnitsPerGroup), LaunchShapes.Blocks(product.Batch, RecurrentStep.Rows));
        Launch(RecurrentStep.Forward<TCell>, grid, new StepArgs<RecurrentProduct, TCell> { Product = product, Mask = mask, S = s, T = t, Cell = cell });
    }

    private void BackwardStep<TCell>(TransposedProduct product, SequenceMask mask, int s, int t, TCell cell) where TCell : struct, IBackwardCell
    {
        var grid = LaunchShapes.Grid2D(LaunchShapes.Blocks(product.Units, RecurrentStep.BackwardColumns), LaunchShapes.Blocks(product.Batch, RecurrentStep.Rows));
        Launch(RecurrentStep.Backward<TCell>, grid, new StepArgs<TransposedProduct, TCell> { Product = product, Mask = mask, S = s, T = t, Cell = cell });
    }

    /// <summary>Where direction <paramref name="d"/>'s forward cells write h(t): its state slots and its columns of y.</summary>
    private static StateOutput ForwardState(RecurrentCall call, int d, DirectionBuffers buffers) => new()
    {
        States = buffers.States, Output = call.Sequence, Slots = buffers.Slots,
        Batch = call.Batch, StateSize = call.StateSize, LdOutput = call.LdSequence, OutputOffset = d * call.StateSize,
    };

    /// <summary>What reaches direction <paramref name="d"/>'s h(t) in the backward besides its own step's product: the carry and its columns of dy.</summary>
    private static StateGradient BackwardState(RecurrentCall call, int d, ArrayView<float> stateCarry) => new()
    {
        OutputGradient = call.Sequence, StateCarry = stateCarry,
        Batch = call.Batch, StateSize = call.StateSize, LdOutput = call.LdSequence, OutputOffset = d * call.StateSize,
    };

    /// <summary>The recurrent product of step (s, t) over <paramref name="gates"/> gate blocks of W_hh starting at <paramref name="rowOffset"/>.</summary>
    private static RecurrentProduct StateProduct(RecurrentCall call, ArrayView<float> weight, DirectionBuffers buffers, int s, int t,
        int rowOffset, int gates) => new()
    {
        Weight = weight,
        Input = buffers.States.SubView((long)buffers.Slots.Previous(s, t) * call.Batch * call.StateSize, (long)call.Batch * call.StateSize),
        RowOffset = rowOffset, Gates = gates, GateStride = call.Hidden, Units = call.Hidden, K = call.StateSize,
        LdInput = call.StateSize, Batch = call.Batch, UnitsPerGroup = RecurrentStep.UnitsPerGroup(gates),
    };

    /// <summary>The transposed product with the gate gradients of the step processed before (s, t) in the backward, or none at the first.</summary>
    private static TransposedProduct NextStepProduct(RecurrentCall call, int d, ArrayView<float> weight, int s, int rows, int units,
        ArrayView<float> gradients, int ldGradients)
    {
        var hasNext = s < call.Steps - 1;
        var tNext = hasNext ? call.TimeAt(d, s + 1) : 0;
        return new TransposedProduct
        {
            Weight = weight, Vector = gradients.SubView((long)tNext * call.Batch * ldGradients, (long)call.Batch * ldGradients),
            RowOffset = 0, Rows = hasNext ? rows : 0, Ld = call.StateSize, Units = units, LdVector = ldGradients, VectorOffset = 0,
            Batch = call.Batch,
        };
    }

    /// <summary>
    /// Runs the whole time loop of <paramref name="pass"/> (forward, or BPTT) in one persistent launch when the algorithm
    /// allows and it fits; returns false to fall back to steps. <paramref name="states"/> is what the steps hand on: the
    /// forward's h slots, or the backward's gate gradients [T, B, G*H] (what the cell writes and the next step multiplies).
    /// </summary>
    private bool TryPersistent<TCell>(RecurrentCall call, int d, ArrayView<float> weightHh, ArrayView<float> states, StateSlots slots,
        PersistentPass<TCell> pass, GpuRecurrentAlgorithm algorithm) where TCell : struct
    {
        if (algorithm == GpuRecurrentAlgorithm.Stepwise) return false;
        var plan = PlanPersistent(call, pass.Backward);
        if (plan is null)
        {
            if (algorithm == GpuRecurrentAlgorithm.Persistent)
                throw new InvalidOperationException($"the persistent {(pass.Backward ? "backward" : "kernel")} does not fit a {call.Layer.Cell.ToName()} layer of hidden size {call.Hidden} with batch {call.Batch}");
            return false;
        }
        // Dot products per group: every gate of each unit forward, one per unit backward (its gates are summed in the product).
        var products = call.Batch * plan.Value.UnitsPerGroup * (pass.Backward ? 1 : call.Gates);
        var shape = new PersistentShape
        {
            Weight = weightHh, States = states, Sync = BarrierCounter(), Slots = slots,
            Gates = call.Gates, Hidden = call.Hidden, StateSize = call.StateSize, Batch = call.Batch, Steps = call.Steps,
            Reverse = d, UnitsPerGroup = plan.Value.UnitsPerGroup, Groups = plan.Value.Groups, Lanes = PersistentRnn.Lanes(products),
        };
        Launch(pass.Kernel(plan.Value.Tile), PersistentConfig(plan.Value),
            new PersistentArgs<TCell> { Shape = shape, Mask = call.Mask, Cell = pass.Cell });
        return true;
    }

    /// <summary>Groups x 64 threads, with dynamic shared memory of the plan's floats unless its tile is static.</summary>
    private static KernelConfig PersistentConfig(PersistentPlan plan) => plan.Tile == SharedTileClass.Dynamic
        ? new KernelConfig(new Index1D(plan.Groups), new Index1D(LaunchShapes.GroupSize), SharedMemoryConfig.RequestDynamic<float>(plan.Floats))
        : new KernelConfig(new Index1D(plan.Groups), new Index1D(LaunchShapes.GroupSize));

    /// <summary>The grid barrier's arrival counter [1], zeroed.</summary>
    private ArrayView<int> BarrierCounter()
    {
        var counter = _scratch.Floats(ScratchSlot.Barrier, 1).Cast<int>().SubView(0, 1);
        ZeroView(counter);
        return counter;
    }

    /// <summary>
    /// Groups, units per group, shared floats and where they live for a persistent launch, or null where it does not fit:
    /// a cell needing a single product per step, a small batch, and each group's rows of W_hh with h(t-1) within 48 KB of
    /// shared memory. Groups never exceed the multiprocessors, so all are resident at once and the grid barrier cannot
    /// deadlock. On OpenCL the tile is the smallest static class that holds it (<see cref="ISharedTile"/> says why).
    /// </summary>
    internal PersistentPlan? PlanPersistent(RecurrentCall call, bool backward = false)
    {
        var layer = call.Layer;
        if (layer.ProjSize > 0 || (layer.Cell == RnnCellKind.Gru && layer.GruVariant == GruVariant.ResetBefore)) return null;
        if (call.Batch > PersistentMaxBatch) return null;
        // The kernel's static shared memory (one float per thread for split dot products) counts against the same limit.
        var limit = ((int)Math.Min(SharedMemoryLimit, _accelerator.MaxSharedMemoryPerGroup) - LaunchShapes.GroupSize * sizeof(float)) / sizeof(float);
        var groups = Math.Max(1, Math.Min(_accelerator.NumMultiprocessors, call.Hidden));
        var unitsPerGroup = (call.Hidden + groups - 1) / groups;
        groups = (call.Hidden + unitsPerGroup - 1) / unitsPerGroup;
        var floats = backward
            ? PersistentRnn.BackwardSharedFloats(call.Gates, call.Hidden, unitsPerGroup, call.Batch)
            : PersistentRnn.SharedFloats(call.Gates, unitsPerGroup, call.StateSize, call.Batch);
        if (floats > limit) return null;
        if (!StaticSharedTiles) return new PersistentPlan(groups, unitsPerGroup, (int)floats, SharedTileClass.Dynamic);
        return SharedTiles.StaticClass(floats, limit) is { } tile ? new PersistentPlan(groups, unitsPerGroup, (int)floats, tile) : null;
    }

    /// <summary>OpenCL's persistent kernels keep their tiles in static shared memory; CUDA's and ILGPU's CPU accelerator's in dynamic.</summary>
    private bool StaticSharedTiles => _accelerator.AcceleratorType == AcceleratorType.OpenCL;

    private SequenceMask Mask(SequenceLengths? lengths, int steps)
    {
        if (lengths is null || lengths.IsFull(steps))
            return new SequenceMask { Lengths = _scratch.Floats(ScratchSlot.Lengths, 1).Cast<int>(), HasLengths = 0 };
        var view = _scratch.Floats(ScratchSlot.Lengths, lengths.BatchSize).Cast<int>().SubView(0, lengths.BatchSize);
        view.CopyFromCPU(_accelerator.DefaultStream, lengths.Values);
        return new SequenceMask { Lengths = view, HasLengths = 1 };
    }

    private DirectionWeightViews Views(RnnDirectionWeights w) => new()
    {
        WeightIh = F(w.WeightIh, "weight_ih"),
        WeightHh = F(w.WeightHh, "weight_hh"),
        BiasIh = Optional(w.BiasIh, "bias_ih"),
        BiasHh = Optional(w.BiasHh, "bias_hh"),
        WeightHr = Optional(w.WeightHr, "weight_hr"),
        PeepI = Optional(w.WeightCi, "weight_ci"),
        PeepF = Optional(w.WeightCf, "weight_cf"),
        PeepO = Optional(w.WeightCo, "weight_co"),
        LnIhWeight = Optional(w.LayerNormIhWeight, "layer_norm_ih_weight"),
        LnIhBias = Optional(w.LayerNormIhBias, "layer_norm_ih_bias"),
        LnHhWeight = Optional(w.LayerNormHhWeight, "layer_norm_hh_weight"),
        LnHhBias = Optional(w.LayerNormHhBias, "layer_norm_hh_bias"),
        LnCellWeight = Optional(w.LayerNormCellWeight, "layer_norm_cell_weight"),
        LnCellBias = Optional(w.LayerNormCellBias, "layer_norm_cell_bias"),
    };

    /// <summary>The view of an optional parameter, or an invalid view where it is absent.</summary>
    private ArrayView<float> Optional(Tensor? parameter, string name) => parameter is null ? default : F(parameter, name);

    /// <summary>An absent optional parameter is passed as a valid view the kernel never reads (its flag is off).</summary>
    private static ArrayView<float> OrUnused(ArrayView<float> view, ArrayView<float> fallback) => view.IsValid ? view : fallback;
}

/// <summary>A persistent launch: Groups x 64 threads, UnitsPerGroup hidden units each, Floats of shared memory in Tile.</summary>
internal readonly record struct PersistentPlan(int Groups, int UnitsPerGroup, int Floats, SharedTileClass Tile);
