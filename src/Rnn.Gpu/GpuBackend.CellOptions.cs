using GpuRnn.Gpu.Kernels;
using GpuRnn.Gpu.Rnn;
using ILGPU;

namespace GpuRnn.Gpu;

/// <summary>
/// Layers with cell options (layer norm, zoneout, cell clipping) on the GPU: per step a GEMM for
/// W_hh h(t-1) (with layer norm, one that also writes each row's partial statistics per column tile,
/// <see cref="Kernels.GemmPartials"/>), then one launch with a group per batch row that combines them,
/// normalises the row in one pass and runs the whole cell (<see cref="CellOptionsLstm"/>, <see cref="CellOptionsGru"/>); a projection adds a
/// GEMM and an element-wise launch, and a reset-before GRU (zoneout only) runs two element-wise launches
/// around its W_hn (r h) GEMM (<see cref="CellOptionsGruResetBefore"/>). BPTT mirrors it backwards, and the parameter gradients are GEMMs
/// and column sums over every step at the end. Not fused into the persistent or tiled step kernels
/// (kernels.md, "Cell options", says what is left).
/// </summary>
public sealed partial class GpuBackend
{
    /// <inheritdoc/>
    protected override bool RunsCellOptions => true;

    /// <summary>The training forward's reserve, or null in evaluation (whose buffers are scratch).</summary>
    private RnnReserve? CellOptionsForward(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
        Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training)
    {
        int steps = x.Shape[0], batch = x.Shape[1];
        var call = new RecurrentCall(layer, steps, batch, Mask(lengths, steps), F(x, nameof(x)), F(y, nameof(y)));
        if (!training)
        {
            // Directions run one after the other on one stream, so they can share one scratch block.
            var block = _scratch.Floats(ScratchSlot.CellOptionsEvaluation, GpuCellOptionsDirection.TotalLength(layer, steps, batch));
            for (var d = 0; d < layer.Directions; d++)
            {
                using var scratch = new GpuCellOptionsDirection(block, layer, steps, batch);
                CellOptionsForwardDirection(call, d, Views(weights.Directions[d]), scratch, h0, c0, hN, cN, training: false);
            }
            return null;
        }
        var directions = new GpuCellOptionsDirection[layer.Directions];
        try
        {
            for (var d = 0; d < layer.Directions; d++)
            {
                directions[d] = new GpuCellOptionsDirection(this, _accelerator, layer, steps, batch);
                CellOptionsForwardDirection(call, d, Views(weights.Directions[d]), directions[d], h0, c0, hN, cN, training: true);
            }
        }
        catch
        {
            foreach (var r in directions) r?.Dispose();
            throw;
        }
        return new GpuCellOptionsReserve(this, layer, steps, batch, directions);
    }

    private void CellOptionsForwardDirection(RecurrentCall call, int d, DirectionWeightViews w, GpuCellOptionsDirection r,
        Tensor? h0, Tensor? c0, Tensor hN, Tensor? cN, bool training)
    {
        int batch = call.Batch, p = call.StateSize, h = call.Hidden, gh = call.GateRows, inputSize = call.Layer.InputSize;
        var v = CellViews(call, d, w, r, training);
        if (call.Layer.LayerNorm) v = WithPartials(v, call);
        var slots = v.Slots;
        LoadInitialStates(call, d, slots, r.States, r.Cells, h0, c0);

        // W_ih x of every step, without the bias (layer norm comes before it); with layer norm the GEMM
        // also writes each row's partial statistics, so the step kernels need not reduce over the row.
        var ln = call.Layer.LayerNorm;
        GemmViews(call.X, false, inputSize, w.WeightIh, true, inputSize, r.InputPre, gh, call.Rows, gh, inputSize, 1f, 0f,
            partials: ln ? v.InputPartials : default);
        var lstm = call.Layer.HasCellState;
        var projection = call.Layer.ProjSize > 0;
        var next = projection ? _scratch.Floats(ScratchSlot.ProjectionScratch, (long)batch * p) : r.States;
        Action<CellOptionsStepArgs> step = lstm ? CellOptionsLstm.Forward : CellOptionsGru.Forward;
        var resetBefore = call.Layer.Cell == RnnCellKind.Gru && call.Layer.GruVariant == GruVariant.ResetBefore;
        for (var s = 0; s < call.Steps; s++)
        {
            var t = call.TimeAt(d, s);
            var previous = r.States.SubView((long)slots.Previous(s, t) * batch * p, (long)batch * p);
            var recurrent = r.Recurrent.SubView((long)t * batch * gh, (long)batch * gh);
            var args = new CellOptionsStepArgs { Views = v, Output = call.Sequence, Next = next, S = s, T = t, LdOutput = call.LdSequence, OutputOffset = d * p };
            if (resetBefore)
            {
                // W_h{r,z} h(t-1), then the n block W_hn (r h(t-1)) once r is known.
                GemmViews(previous, false, p, w.WeightHh, true, p, recurrent, gh, batch, 2 * h, p, 1f, 0f);
                Launch(CellOptionsGruResetBefore.Gates, _shapes.Linear((long)batch * h), args);
                GemmViews(r.Extra.SubView((long)t * batch * h, (long)batch * h), false, h, w.WeightHh.SubView(2L * h * h), true, h,
                    recurrent.SubView(2L * h), gh, batch, h, h, 1f, 0f);
                Launch(CellOptionsGruResetBefore.Candidate, _shapes.Linear((long)batch * h), args);
                continue;
            }
            GemmViews(previous, false, p, w.WeightHh, true, p, recurrent, gh, batch, gh, p, 1f, 0f,
                partials: ln ? v.RecurrentPartials : default);
            Launch(step, LaunchShapes.PerRow(batch), args);
            if (!projection) continue;
            GemmViews(r.Extra.SubView((long)t * batch * h, (long)batch * h), false, h, w.WeightHr, true, h, next, p, batch, p, h, 1f, 0f);
            Launch(CellOptionsLstm.ProjectedState, _shapes.Linear((long)batch * p), args);
        }

        StoreFinalStates(call, d, slots, r.States, r.Cells, hN, cN);
    }

    private void CellOptionsBackward(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, GpuCellOptionsReserve reserve,
        Tensor x, SequenceLengths? lengths, Tensor dy, Tensor? dhN, Tensor? dcN, Tensor? dx, Tensor? dh0, Tensor? dc0)
    {
        if (reserve.Directions.Any(r => r.IsDisposed))
            throw new ObjectDisposedException(nameof(reserve), "the reserve has been disposed; run a training forward again before the backward");
        int steps = x.Shape[0], batch = x.Shape[1];
        var call = new RecurrentCall(layer, steps, batch, Mask(lengths, steps), F(x, nameof(x)), F(dy, nameof(dy)));
        for (var d = 0; d < layer.Directions; d++)
            CellOptionsBackwardDirection(call, d, Views(weights.Directions[d]), Views(gradients.Directions[d]), reserve.Directions[d],
                dhN, dcN, dx, dh0, dc0);
    }

    private void CellOptionsBackwardDirection(RecurrentCall call, int d, DirectionWeightViews w, DirectionWeightViews g,
        GpuCellOptionsDirection r, Tensor? dhN, Tensor? dcN, Tensor? dx, Tensor? dh0, Tensor? dc0)
    {
        int batch = call.Batch, p = call.StateSize, h = call.Hidden, gh = call.GateRows, rows = call.Rows, inputSize = call.Layer.InputSize;
        var lstm = call.Layer.HasCellState;
        var projection = call.Layer.ProjSize > 0;
        var v = CellViews(call, d, w, r, training: true);
        var stateCarry = _scratch.Floats(ScratchSlot.HiddenCarry, (long)batch * p);
        if (dhN is null) FillView(stateCarry, 0);
        else CopyView(F(dhN, nameof(dhN)).SubView((long)d * batch * p, (long)batch * p), stateCarry);
        var cellCarry = _scratch.Floats(ScratchSlot.CellCarry, (long)batch * h);
        if (lstm)
        {
            if (dcN is null) FillView(cellCarry, 0);
            else CopyView(F(dcN, nameof(dcN)).SubView((long)d * batch * h, (long)batch * h), cellCarry);
        }
        var dg = _scratch.Floats(ScratchSlot.CellOptionGates, (long)rows * gh);
        var args = new CellOptionsGradArgs
        {
            Views = v, OutputGradient = call.Sequence, StateCarry = stateCarry, CellCarry = cellCarry,
            DNew = lstm ? _scratch.Floats(ScratchSlot.ProjectedGradients, (long)rows * p) : stateCarry,
            Dm = projection ? _scratch.Floats(ScratchSlot.CellOptionProjected, (long)batch * h) : stateCarry,
            DCellIn = lstm ? _scratch.Floats(ScratchSlot.CellOptionCellIn, (long)batch * h) : stateCarry,
            DCell = lstm ? _scratch.Floats(ScratchSlot.CellOptionCell, (long)rows * h) : stateCarry,
            Dg = dg,
            DgHidden = lstm ? dg : _scratch.Floats(ScratchSlot.CellOptionHiddenGates, (long)rows * gh),
            InputGrad = _scratch.Floats(ScratchSlot.GateGradients, (long)rows * gh),
            RecurrentGrad = _scratch.Floats(ScratchSlot.HiddenGateGradients, (long)rows * gh),
            LdOutput = call.LdSequence, OutputOffset = d * p,
        };
        var resetBefore = !lstm && call.Layer.GruVariant == GruVariant.ResetBefore;
        if (resetBefore)
        {
            // No layer norm: the products' gradients are the gate gradients of each side.
            args.InputGrad = args.Dg;
            args.RecurrentGrad = args.DgHidden;
            args.Dm = _scratch.Floats(ScratchSlot.CellOptionProjected, (long)batch * h);
        }
        for (var s = call.Steps - 1; s >= 0; s--)
        {
            var t = call.TimeAt(d, s);
            args.S = s;
            args.T = t;
            if (lstm)
            {
                Launch(CellOptionsLstm.StateGradient, _shapes.Linear((long)batch * p), args);
                if (projection)
                    GemmViews(args.DNew.SubView((long)t * batch * p, (long)batch * p), false, p, w.WeightHr, false, h, args.Dm, h, batch, h, p, 1f, 0f);
                Launch(CellOptionsLstm.Backward, LaunchShapes.PerRow(batch), args);
            }
            else if (resetBefore)
            {
                Launch(CellOptionsGruResetBefore.UpdateGradient, _shapes.Linear((long)batch * h), args);
                // d(r h(t-1)) = dPre_n W_hn.
                GemmViews(args.DgHidden.SubView((long)t * batch * gh + 2 * h), false, gh, w.WeightHh.SubView(2L * h * h), false, h,
                    args.Dm, h, batch, h, h, 1f, 0f);
                Launch(CellOptionsGruResetBefore.ResetGradient, _shapes.Linear((long)batch * h), args);
            }
            else Launch(CellOptionsGru.Backward, LaunchShapes.PerRow(batch), args);
            // What reaches h(t-1) through W_hh (reset before: its r and z rows) joins the direct part the kernels left in the carry.
            GemmViews(args.RecurrentGrad.SubView((long)t * batch * gh, (long)batch * gh), false, gh, w.WeightHh, false, p, stateCarry, p,
                batch, p, resetBefore ? 2 * h : gh, 1f, 1f);
        }
        if (dh0 is not null) CopyView(stateCarry, F(dh0, nameof(dh0)).SubView((long)d * batch * p, (long)batch * p));
        if (dc0 is not null && lstm) CopyView(cellCarry, F(dc0, nameof(dc0)).SubView((long)d * batch * h, (long)batch * h));

        // Weight gradients over every step: the states each step started from are slots 0..T-1 forward, 1..T in reverse.
        var previousStates = r.States.SubView((long)(d == 1 ? 1 : 0) * batch * p, (long)rows * p);
        GemmViews(args.RecurrentGrad, true, gh, previousStates, false, p, g.WeightHh, p, resetBefore ? 2 * h : gh, p, rows, 1f, 1f);
        // Reset before: the n rows of W_hh multiplied r h(t-1), kept in Extra.
        if (resetBefore)
            GemmViews(args.RecurrentGrad.SubView(2L * h), true, gh, r.Extra, false, h, g.WeightHh.SubView(2L * h * h), h, h, h, rows, 1f, 1f);
        GemmViews(args.InputGrad, true, gh, call.X, false, inputSize, g.WeightIh, inputSize, gh, inputSize, rows, 1f, 1f);
        if (dx is not null)
            GemmViews(args.InputGrad, false, gh, w.WeightIh, false, inputSize, F(dx, nameof(dx)), inputSize, rows, inputSize, gh, 1f, d == 0 ? 0f : 1f);
        if (g.BiasIh.IsValid) SumRowsView(args.Dg, g.BiasIh, rows, gh, 1f);
        if (g.BiasHh.IsValid) SumRowsView(args.DgHidden, g.BiasHh, rows, gh, 1f);
        if (call.Layer.LayerNorm)
        {
            ColumnProduct(args.Dg, gh, r.InputPre, gh, rows, gh, g.LnIhWeight);
            SumRowsView(args.Dg, g.LnIhBias, rows, gh, 1f);
            ColumnProduct(args.DgHidden, gh, r.Recurrent, gh, rows, gh, g.LnHhWeight);
            SumRowsView(args.DgHidden, g.LnHhBias, rows, gh, 1f);
            if (lstm)
            {
                ColumnProduct(args.DCell, h, r.CellHat, h, rows, h, g.LnCellWeight);
                SumRowsView(args.DCell, g.LnCellBias, rows, h, 1f);
            }
        }
        if (call.Layer.Peepholes)
        {
            var previousCells = r.Cells.SubView((long)(d == 1 ? 1 : 0) * batch * h, (long)rows * h);
            ColumnProduct(dg, gh, previousCells, h, rows, h, g.PeepI);
            ColumnProduct(dg.SubView(h), gh, previousCells, h, rows, h, g.PeepF);
            ColumnProduct(dg.SubView(3L * h), gh, r.CellClipped, h, rows, h, g.PeepO);
        }
        if (projection) GemmViews(args.DNew, true, p, r.Extra, false, h, g.WeightHr, h, p, h, rows, 1f, 1f);
    }

    /// <summary>
    /// Layer norm's GEMM partials, needed only while the forward runs, so scratch rather than reserve:
    /// [T*B, Tiles, 3] for W_ih x, then [B, Tiles, 3] for one step's W_hh h(t-1) (steps run in order on one stream).
    /// </summary>
    private CellOptionsViews WithPartials(CellOptionsViews v, RecurrentCall call)
    {
        var perRow = 3L * v.Tiles;
        var block = _scratch.Floats(ScratchSlot.LayerNormPartials, (call.Rows + call.Batch) * perRow);
        v.InputPartials = block.SubView(0, call.Rows * perRow);
        v.RecurrentPartials = block.SubView(call.Rows * perRow, call.Batch * perRow);
        return v;
    }

    /// <summary>sum[c] += Σ_r a[r*lda + c] b[r*ldb + c] over <paramref name="rows"/> rows and <paramref name="cols"/> columns.</summary>
    private void ColumnProduct(ArrayView<float> a, int lda, ArrayView<float> b, int ldb, int rows, int cols, ArrayView<float> sum) =>
        Launch(ColumnProducts.Accumulate, _shapes.Linear(cols),
            new ColumnProductArgs { A = a, B = b, Out = sum, Rows = rows, Cols = cols, Lda = lda, Ldb = ldb });

    /// <summary>The kernels' views of one direction: its reserve, parameters (absent ones stand in as unused views), mask and zoneout masks.</summary>
    private static CellOptionsViews CellViews(RecurrentCall call, int d, DirectionWeightViews w, GpuCellOptionsDirection r, bool training)
    {
        var layer = call.Layer;
        var unused = w.WeightHh;
        return new CellOptionsViews
        {
            // The forward's layer norm replaces these with scratch (WithPartials); the backward does not read them.
            InputPartials = unused, RecurrentPartials = unused, Tiles = LaunchShapes.Blocks(call.GateRows, Kernels.Gemm.TileN),
            InputPre = r.InputPre, Recurrent = r.Recurrent, Stats = r.Stats, Gates = r.Gates, States = r.States, Cells = r.Cells,
            CellRaw = r.CellRaw, CellClipped = r.CellClipped, CellHat = r.CellHat, TanhCell = r.TanhCell, Extra = r.Extra,
            BiasIh = OrUnused(w.BiasIh, unused), BiasHh = OrUnused(w.BiasHh, unused),
            PeepI = OrUnused(w.PeepI, unused), PeepF = OrUnused(w.PeepF, unused), PeepO = OrUnused(w.PeepO, unused),
            LnIhWeight = OrUnused(w.LnIhWeight, unused), LnIhBias = OrUnused(w.LnIhBias, unused),
            LnHhWeight = OrUnused(w.LnHhWeight, unused), LnHhBias = OrUnused(w.LnHhBias, unused),
            LnCellWeight = OrUnused(w.LnCellWeight, unused), LnCellBias = OrUnused(w.LnCellBias, unused),
            Mask = call.Mask,
            Slots = call.Slots(d, training: true),
            Zoneout = new ZoneoutMasks
            {
                Seed = layer.ZoneoutSeed, ThresholdH = ZoneoutThreshold(layer.Zoneout), ThresholdC = ZoneoutThreshold(layer.ZoneoutCell),
                Zh = (float)layer.Zoneout, Zc = (float)layer.ZoneoutCell, Training = training ? 1 : 0,
                Directions = layer.Directions, Direction = d, Steps = call.Steps, Batch = call.Batch, StateSize = call.StateSize, Hidden = call.Hidden,
            },
            Batch = call.Batch, Hidden = call.Hidden, StateSize = call.StateSize, HasBias = w.HasBias ? 1 : 0,
            LayerNorm = layer.LayerNorm ? 1 : 0, Peepholes = layer.Peepholes ? 1 : 0, Projection = layer.ProjSize > 0 ? 1 : 0,
            Clip = layer.CellClip > 0 ? 1 : 0, CellClip = (float)layer.CellClip,
        };
    }

    /// <summary>
    /// k keeps the previous value where the hash's top 24 bits are below it: k / 2^24 &lt; z exactly when
    /// k &lt; ceil(z 2^24) (z 2^24 is exact in a double), the CPU's test of CounterRng.Uniform &lt; z.
    /// </summary>
    private static ulong ZoneoutThreshold(double z) => z > 0 ? (ulong)Math.Ceiling(z * 16777216.0) : 0;
}
