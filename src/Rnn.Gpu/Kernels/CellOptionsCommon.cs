using ILGPU;
using ILGPU.Algorithms;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Row layer normalisation inside a cell-option step kernel, where one group of
/// <see cref="LaunchShapes.GroupSize"/> threads holds one row (CPU twin: <c>RowNorm</c> in
/// <c>src/Rnn.Cpu/Rnn/CellOptionsState.cs</c>): torch.nn.LayerNorm's biased variance and eps 1e-5.
/// Every thread of the group must call these (they synchronise); sums run through
/// <see cref="Reductions.GroupSum"/> in thread order, so results are the same bits every run.
/// </summary>
internal static class CellRowNorm
{
    /// <summary>torch.nn.LayerNorm's default epsilon, as the CPU's RowNorm.</summary>
    public const float Epsilon = 1e-5f;

    /// <summary>row[i] = (row[i] - mean) / sqrt(var + eps) in place over <paramref name="n"/> elements; returns 1 / sqrt(var + eps).</summary>
    public static float Normalize(ArrayView<float> row, int n, ArrayView<float> shared)
    {
        var s = 0f;
        for (var i = Group.IdxX; i < n; i += Group.DimX) s += row[i];
        var mean = Reductions.GroupSum(shared, s) / n;
        var v = 0f;
        for (var i = Group.IdxX; i < n; i += Group.DimX)
        {
            var d = row[i] - mean;
            v += d * d;
        }
        var rstd = 1f / XMath.Sqrt(Reductions.GroupSum(shared, v) / n + Epsilon);
        for (var i = Group.IdxX; i < n; i += Group.DimX) row[i] = (row[i] - mean) * rstd;
        Group.Barrier();
        return rstd;
    }

    /// <summary>
    /// A row's mean and 1 / sqrt(var + eps) from the [tiles, 3] (count, mean, M2) partials a GEMM with
    /// partials wrote (<see cref="GemmPartials"/>), combined pairwise in tile order 0..tiles-1
    /// (Chan, Golub and LeVeque): the same bits every run. Every thread may call it; it reads only.
    /// </summary>
    public static RowMoments Moments(ArrayView<float> partials, int tiles)
    {
        float n = partials[0], mean = partials[1], m2 = partials[2];
        for (var k = 1; k < tiles; k++)
        {
            float nb = partials[3 * k], meanB = partials[3 * k + 1], m2b = partials[3 * k + 2];
            var total = n + nb;
            var delta = meanB - mean;
            var share = nb / total; // one division per tile: the chain of tiles is this kernel's longest dependency
            mean += delta * share;
            m2 += m2b + delta * delta * n * share;
            n = total;
        }
        return new RowMoments { Mean = mean, Rstd = 1f / XMath.Sqrt(m2 / n + Epsilon) };
    }

    /// <summary>
    /// With layer norm, the moments of step row <paramref name="row"/> (= t B + b) of both products from their
    /// GEMMs' partials; thread 0 records their 1/std in Stats for the backward.
    /// </summary>
    public static void ProductMoments(CellOptionsViews v, int row, int b, out RowMoments input, out RowMoments recurrent)
    {
        var length = 3 * v.Tiles;
        input = Moments(v.InputPartials.SubView((long)row * length, length), v.Tiles);
        recurrent = Moments(v.RecurrentPartials.SubView((long)b * length, length), v.Tiles);
        if (Group.IdxX != 0) return;
        v.Stats[row * 3] = input.Rstd;
        v.Stats[row * 3 + 1] = recurrent.Rstd;
    }

    /// <summary>Element q of a product row normalised, written back in place as x̂ (the backward reads it).</summary>
    public static float TakeHat(ArrayView<float> product, int q, RowMoments moments)
    {
        var hat = moments.Normalize(product[q]);
        product[q] = hat;
        return hat;
    }

    /// <summary>The backward of x̂ = Normalize(a): d[i] = rstd (d[i] - mean(d) - x̂[i] mean(d x̂)) in place (d holds dL/dx̂ on entry).</summary>
    public static void Backward(ArrayView<float> d, ArrayView<float> hat, float rstd, int n, ArrayView<float> shared)
    {
        float sum = 0f, dot = 0f;
        for (var i = Group.IdxX; i < n; i += Group.DimX)
        {
            sum += d[i];
            dot += d[i] * hat[i];
        }
        var meanD = Reductions.GroupSum(shared, sum) / n;
        var meanDot = Reductions.GroupSum(shared, dot) / n;
        for (var i = Group.IdxX; i < n; i += Group.DimX) d[i] = rstd * (d[i] - meanD - hat[i] * meanDot);
        Group.Barrier();
    }

    /// <summary>
    /// The gradients that reach the two products from the gate gradients of each side [n] (the LSTM's
    /// are one) into the row's InputGrad and RecurrentGrad: dAx = LN_ih'(dgInput γ_ih), dAh = LN_hh'(dgHidden γ_hh) with
    /// layer norm, else the gate gradients.
    /// </summary>
    public static void ProductGradients(CellOptionsViews v, GradRow r, int n, ArrayView<float> dgInput, ArrayView<float> dgHidden,
        ArrayView<float> shared)
    {
        int row = r.Row;
        ArrayView<float> inputGrad = r.InputGrad, recurrentGrad = r.RecurrentGrad;
        var ln = v.LayerNorm != 0;
        for (var q = Group.IdxX; q < n; q += Group.DimX)
        {
            inputGrad[q] = ln ? dgInput[q] * v.LnIhWeight[q] : dgInput[q];
            recurrentGrad[q] = ln ? dgHidden[q] * v.LnHhWeight[q] : dgHidden[q];
        }
        Group.Barrier();
        if (!ln) return;
        Backward(inputGrad, v.InputPre.SubView((long)row * n, n), v.Stats[row * 3], n, shared);
        Backward(recurrentGrad, v.Recurrent.SubView((long)row * n, n), v.Stats[row * 3 + 1], n, shared);
    }

    /// <summary>Zeroes <paramref name="n"/> elements of a row (a finished sequence's gradients).</summary>
    public static void Zero(ArrayView<float> row, int n)
    {
        for (var q = Group.IdxX; q < n; q += Group.DimX) row[q] = 0f;
    }
}

/// <summary>
/// Batch row b = Grid.IdxX of forward step (s, t) in a kernel with one group per row: its state slots [P],
/// its offset in y, its rows of the two products [G*H] and whether its sequence is still running.
/// </summary>
internal readonly struct StepRow
{
    public readonly int B, Row, Output; // Row = t B + b; Output: the row's first element in y
    public readonly bool Active;
    public readonly ArrayView<float> HPrev, HNext, Ax, Ah;

    public StepRow(CellOptionsStepArgs a, int gateRows)
    {
        var v = a.Views;
        int batch = v.Batch, p = v.StateSize;
        B = Grid.IdxX;
        Row = a.T * batch + B;
        Output = Row * a.LdOutput + a.OutputOffset;
        Active = v.Mask.IsActive(a.T, B);
        HPrev = v.States.SubView((long)(v.Slots.Previous(a.S, a.T) * batch + B) * p, p);
        HNext = v.States.SubView((long)(v.Slots.Output(a.S, a.T) * batch + B) * p, p);
        Ax = v.InputPre.SubView((long)Row * gateRows, gateRows);
        Ah = v.Recurrent.SubView((long)Row * gateRows, gateRows);
    }

    /// <summary>A finished sequence keeps its state and outputs zero (the whole group takes this branch).</summary>
    public void KeepState(CellOptionsStepArgs a)
    {
        for (var j = Group.IdxX; j < a.Views.StateSize; j += Group.DimX)
        {
            HNext[j] = HPrev[j];
            a.Output[Output + j] = 0f;
        }
    }
}

/// <summary>
/// Batch row b = Grid.IdxX of backward step (s, t) in a kernel with one group per row: its rows of the gate
/// gradients and of the two products' gradients [G*H], and whether its sequence was running.
/// </summary>
internal readonly struct GradRow
{
    public readonly int B, Row; // Row = t B + b
    public readonly bool Active;
    public readonly ArrayView<float> Dg, InputGrad, RecurrentGrad;

    public GradRow(CellOptionsGradArgs a, int gateRows)
    {
        B = Grid.IdxX;
        Row = a.T * a.Views.Batch + B;
        Active = a.Views.Mask.IsActive(a.T, B);
        Dg = a.Dg.SubView((long)Row * gateRows, gateRows);
        InputGrad = a.InputGrad.SubView((long)Row * gateRows, gateRows);
        RecurrentGrad = a.RecurrentGrad.SubView((long)Row * gateRows, gateRows);
    }

    /// <summary>
    /// A finished sequence's gradients are zeros: its gate and product rows and the kernel's own
    /// <paramref name="extra"/> row (the whole group takes this branch).
    /// </summary>
    public void Zero(ArrayView<float> extra)
    {
        CellRowNorm.Zero(extra, extra.IntLength);
        CellRowNorm.Zero(Dg, Dg.IntLength);
        CellRowNorm.Zero(InputGrad, InputGrad.IntLength);
        CellRowNorm.Zero(RecurrentGrad, RecurrentGrad.IntLength);
    }
}

/// <summary>A row's mean and 1 / sqrt(biased var + eps), from <see cref="CellRowNorm.Moments"/>.</summary>
internal struct RowMoments
{
    public float Mean, Rstd;

    /// <summary>(x - mean) / sqrt(var + eps).</summary>
    public readonly float Normalize(float x) => (x - Mean) * Rstd;
}

/// <summary>
/// Zoneout masks of one layer call and direction, drawn as <c>RnnCellOptions</c> defines them on every
/// backend: the h element ((d*T + t)*B + b)*P + j, the c element D*T*B*P + ((d*T + t)*B + b)*H + j,
/// kept where CounterRng.Uniform(seed, element) &lt; z. Uniform is k / 2^24 for the hash's top 24 bits k,
/// so the test is k &lt; ceil(z * 2^24) in integers: the CPU's float/double comparison, exactly.
/// </summary>
internal struct ZoneoutMasks
{
    public ulong Seed, ThresholdH, ThresholdC; // 0 = no zoneout
    public float Zh, Zc;
    public int Training, Directions, Direction, Steps, Batch, StateSize, Hidden;

    /// <summary>Whether h unit (t, b, j) keeps h(t-1) in training.</summary>
    public readonly bool KeepH(int t, int b, int j) =>
        Training != 0 && ThresholdH != 0 &&
        (CounterRng.Hash(Seed, (ulong)((((long)Direction * Steps + t) * Batch + b) * StateSize + j)) >> 40) < ThresholdH;

    /// <summary>Whether c unit (t, b, j) keeps c(t-1) in training.</summary>
    public readonly bool KeepC(int t, int b, int j) =>
        Training != 0 && ThresholdC != 0 &&
        (CounterRng.Hash(Seed, (ulong)((long)Directions * Steps * Batch * StateSize
            + (((long)Direction * Steps + t) * Batch + b) * Hidden + j)) >> 40) < ThresholdC;

    /// <summary>Zoneout of h: the previous value where kept (training), the expectation in evaluation.</summary>
    public readonly float ZoneH(float previous, float next, bool keep) => Zone(previous, next, Zh, keep);

    /// <summary>Zoneout of c.</summary>
    public readonly float ZoneC(float previous, float next, bool keep) => Zone(previous, next, Zc, keep);

    private readonly float Zone(float previous, float next, float z, bool keep) =>
        Training != 0 ? (keep ? previous : next) : z == 0f ? next : z * previous + (1f - z) * next;
}

/// <summary>
/// The device views and sizes of one direction of a layer with cell options: its reserve (indexed
/// by time t; state slots as <see cref="StateSlots"/> in training), parameters and masks. Absent
/// parameters are valid views the kernels never read (their flags are off).
/// </summary>
internal struct CellOptionsViews
{
    public ArrayView<float> InputPre;    // [T, B, G*H]: W_ih x, normalised in place (x̂) with layer norm
    public ArrayView<float> Recurrent;   // [T, B, G*H]: W_hh h(t-1), normalised in place with layer norm
    public ArrayView<float> Stats;       // [T, B, 3]: 1/std of the ih, hh and cell rows
    public ArrayView<float> InputPartials;     // with layer norm [T, B, Tiles, 3]: W_ih x's GEMM partials (GemmPartials)
    public ArrayView<float> RecurrentPartials; // with layer norm [B, Tiles, 3]: this step's W_hh h(t-1) partials
    public ArrayView<float> Gates;       // [T, B, G*H]: LSTM i, f, g, o; GRU r, z, n
    public ArrayView<float> States;      // h slots [T+1, B, P]
    public ArrayView<float> Cells;       // LSTM c slots [T+1, B, H], after zoneout
    public ArrayView<float> CellRaw;     // LSTM [T, B, H]: f c(t-1) + i g
    public ArrayView<float> CellClipped; // LSTM [T, B, H]: clip(raw, -k, k) (= raw without clipping)
    public ArrayView<float> CellHat;     // LSTM with layer norm [T, B, H]: x̂ of the clipped cell
    public ArrayView<float> TanhCell;    // LSTM [T, B, H]: tanh(LN(c~)) or tanh(c~)
    public ArrayView<float> Extra;       // [T, B, H]: LSTM m before the projection; GRU W_hn h (normalised) + b_hn
    public ArrayView<float> BiasIh, BiasHh, PeepI, PeepF, PeepO;
    public ArrayView<float> LnIhWeight, LnIhBias, LnHhWeight, LnHhBias, LnCellWeight, LnCellBias;
    public SequenceMask Mask;
    public StateSlots Slots;
    public ZoneoutMasks Zoneout;
    public int Batch, Hidden, StateSize, HasBias, LayerNorm, Peepholes, Projection, Clip;
    public int Tiles; // column tiles of a G*H product row: ceil(G*H / Gemm.TileN)
    public float CellClip;
}

/// <summary>Column products for the cell options' parameter gradients (gains, peepholes).</summary>
internal static class ColumnProducts
{
    /// <summary>out[c] += Σ_r a[r*lda + c] * b[r*ldb + c]; one thread per column, rows in order.</summary>
    [Kernel]
    public static void Accumulate(ColumnProductArgs a)
    {
        ArrayView<float> x = a.A, y = a.B, sum = a.Out;
        for (var c = Grid.GlobalIndex.X; c < a.Cols; c += Grid.DimX * Group.DimX)
        {
            var s = 0f;
            for (var r = 0; r < a.Rows; r++) s += x[(long)r * a.Lda + c] * y[(long)r * a.Ldb + c];
            sum[c] += s;
        }
    }
}

/// <summary>A [Rows, Cols] column block of A (row stride Lda) and of B (Ldb), summed into Out [Cols].</summary>
internal struct ColumnProductArgs
{
    public ArrayView<float> A, B, Out;
    public int Rows, Cols, Lda, Ldb;
}
