using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// GRU (reset after) with cell options, one step, one group per batch row (CPU twin:
/// <c>src/Rnn.Cpu/Rnn/CellOptionsGru.cs</c>): ax = LN_ih(W_ih x) + b_ih, ah = LN_hh(W_hh h) + b_hh (or the
/// plain products), r = σ(ax_r + ah_r), z = σ(ax_z + ah_z), n = tanh(ax_n + r ah_n),
/// h~ = (1 - z) n + z h(t-1), h(t) = zone(h(t-1), h~). Layer norm is only defined for reset after
/// (RnnCellOptions); a reset-before GRU with zoneout runs in <see cref="CellOptionsGruResetBefore"/>.
/// Layer norm's statistics come from the products' GEMM partials, as the LSTM's (one pass over the row).
/// </summary>
internal static class CellOptionsGru
{
    [Kernel]
    public static void Forward(CellOptionsStepArgs a)
    {
        var v = a.Views;
        int t = a.T, h = v.Hidden, g3 = 3 * h;
        var step = new StepRow(a, g3);
        int b = step.B, row = step.Row, y = step.Output;
        ArrayView<float> hPrev = step.HPrev, hNext = step.HNext, ax = step.Ax, ah = step.Ah;
        if (!step.Active)
        {
            step.KeepState(a);
            return;
        }
        RowMoments mx = default, mh = default;
        if (v.LayerNorm != 0) CellRowNorm.ProductMoments(v, row, b, out mx, out mh);
        var gates = v.Gates.SubView((long)row * g3, g3);
        for (var j = Group.IdxX; j < h; j += Group.DimX)
        {
            var r = GpuMath.Sigmoid(Input(v, ax, j, mx) + Hidden(v, ah, j, mh));
            var z = GpuMath.Sigmoid(Input(v, ax, h + j, mx) + Hidden(v, ah, h + j, mh));
            var e = Hidden(v, ah, 2 * h + j, mh);
            var n = GpuMath.Tanh(Input(v, ax, 2 * h + j, mx) + r * e);
            gates[j] = r;
            gates[h + j] = z;
            gates[2 * h + j] = n;
            v.Extra[row * h + j] = e;
            var hp = hPrev[j];
            var hv = v.Zoneout.ZoneH(hp, (1f - z) * n + z * hp, v.Zoneout.KeepH(t, b, j));
            hNext[j] = hv;
            a.Output[y + j] = hv;
        }
    }

    /// <summary>
    /// Backward of one step, one group per row: dh(t) = carry + dy(t); the part not zoned out gives
    /// dPre_n = dh (1 - z)(1 - n²), dPre_z = dh (h(t-1) - n) z (1 - z), dPre_r = dPre_n ah_n r (1 - r) into
    /// Dg (input side) and DgHidden (n block times r); the carry becomes what reaches h(t-1) directly
    /// (dh z, plus the kept part); InputGrad and RecurrentGrad are the products' gradients through layer norm.
    /// </summary>
    [Kernel]
    public static void Backward(CellOptionsGradArgs a)
    {
        var v = a.Views;
        int s = a.S, t = a.T, batch = v.Batch, h = v.Hidden, g3 = 3 * h;
        var shared = SharedMemory.Allocate<float>(LaunchShapes.GroupSize + 1);
        var step = new GradRow(a, g3);
        int b = step.B, row = step.Row;
        var dx = step.Dg;
        var dr = a.DgHidden.SubView((long)row * g3, g3);
        if (!step.Active)
        {
            step.Zero(dr);
            return;
        }
        var gates = v.Gates.SubView((long)row * g3, g3);
        var hPrev = v.States.SubView((long)(v.Slots.Previous(s, t) * batch + b) * h, h);
        for (var j = Group.IdxX; j < h; j += Group.DimX)
        {
            var dh = a.StateCarry[b * h + j] + a.OutputGradient[(t * batch + b) * a.LdOutput + a.OutputOffset + j];
            var keep = v.Zoneout.KeepH(t, b, j);
            var dNew = keep ? 0f : dh;
            float r = gates[j], z = gates[h + j], n = gates[2 * h + j];
            var dPreN = dNew * (1f - z) * (1f - n * n);
            var dPreZ = dNew * (hPrev[j] - n) * z * (1f - z);
            var dPreR = dPreN * v.Extra[row * h + j] * r * (1f - r);
            a.StateCarry[b * h + j] = dNew * z + (keep ? dh : 0f);
            dx[j] = dPreR;
            dx[h + j] = dPreZ;
            dx[2 * h + j] = dPreN;
            dr[j] = dPreR;
            dr[h + j] = dPreZ;
            dr[2 * h + j] = dPreN * r;
        }
        Group.Barrier();
        // The two sides differ in the n block; each is normalised back from its own gate gradients.
        CellRowNorm.ProductGradients(v, step, g3, dx, dr, shared);
    }

    /// <summary>Input side q: LN_ih(W_ih x)_q + b_ih (or the plain product plus bias); with layer norm x̂_q is written back.</summary>
    private static float Input(CellOptionsViews v, ArrayView<float> ax, int q, RowMoments moments)
    {
        var pre = v.LayerNorm != 0 ? v.LnIhWeight[q] * CellRowNorm.TakeHat(ax, q, moments) + v.LnIhBias[q] : ax[q];
        return v.HasBias != 0 ? pre + v.BiasIh[q] : pre;
    }

    /// <summary>Recurrent side q: LN_hh(W_hh h)_q + b_hh (or the plain product plus bias); with layer norm x̂_q is written back.</summary>
    private static float Hidden(CellOptionsViews v, ArrayView<float> ah, int q, RowMoments moments)
    {
        var pre = v.LayerNorm != 0 ? v.LnHhWeight[q] * CellRowNorm.TakeHat(ah, q, moments) + v.LnHhBias[q] : ah[q];
        return v.HasBias != 0 ? pre + v.BiasHh[q] : pre;
    }
}
