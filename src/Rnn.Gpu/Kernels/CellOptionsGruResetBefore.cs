using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Reset-before GRU with zoneout (its only cell option: layer norm is not defined for it), one thread per
/// (b, j) of [B, H] (CPU twin: the reset-before branches of <c>src/Rnn.Cpu/Rnn/CellOptionsGru.cs</c>).
/// Two launches per step around the W_hn (r ⊙ h(t−1)) GEMM: <see cref="Gates"/> makes r, z and r ⊙ h(t−1)
/// from W_h{r,z} h(t−1), <see cref="Candidate"/> makes n = tanh(x_n + b_in + W_hn (r ⊙ h) + b_hn),
/// h~ = (1 − z) n + z h(t−1) and h(t) = zone(h(t−1), h~). The backward mirrors them.
/// </summary>
internal static class CellOptionsGruResetBefore
{
    /// <summary>r, z = σ(x + b_i + W_h h(t−1) + b_h) and Extra = r ⊙ h(t−1), for active rows.</summary>
    [Kernel]
    public static void Gates(CellOptionsStepArgs a)
    {
        var v = a.Views;
        int s = a.S, t = a.T, batch = v.Batch, h = v.Hidden, g3 = 3 * h;
        for (var n = Grid.GlobalIndex.X; n < batch * h; n += Grid.DimX * Group.DimX)
        {
            int b = n / h, j = n - b * h;
            if (!v.Mask.IsActive(t, b)) continue;
            var row = (t * batch + b) * g3;
            var r = GpuMath.Sigmoid(Pre(v, row, j));
            v.Gates[row + j] = r;
            v.Gates[row + h + j] = GpuMath.Sigmoid(Pre(v, row, h + j));
            v.Extra[(t * batch + b) * h + j] = r * v.States[(v.Slots.Previous(s, t) * batch + b) * h + j];
        }
    }

    /// <summary>n, h~ and zoneout; Recurrent's n block holds W_hn (r ⊙ h(t−1)). A finished sequence keeps h and outputs zero.</summary>
    [Kernel]
    public static void Candidate(CellOptionsStepArgs a)
    {
        var v = a.Views;
        int s = a.S, t = a.T, batch = v.Batch, h = v.Hidden, g3 = 3 * h;
        for (var n = Grid.GlobalIndex.X; n < batch * h; n += Grid.DimX * Group.DimX)
        {
            int b = n / h, j = n - b * h;
            var hp = v.States[(v.Slots.Previous(s, t) * batch + b) * h + j];
            var next = (v.Slots.Output(s, t) * batch + b) * h + j;
            var y = (t * batch + b) * a.LdOutput + a.OutputOffset + j;
            if (!v.Mask.IsActive(t, b))
            {
                v.States[next] = hp;
                a.Output[y] = 0f;
                continue;
            }
            var row = (t * batch + b) * g3;
            var c = GpuMath.Tanh(Pre(v, row, 2 * h + j));
            var z = v.Gates[row + h + j];
            v.Gates[row + 2 * h + j] = c;
            var hv = v.Zoneout.ZoneH(hp, (1f - z) * c + z * hp, v.Zoneout.KeepH(t, b, j));
            v.States[next] = hv;
            a.Output[y] = hv;
        }
    }

    /// <summary>
    /// Backward, first launch: dh(t) = carry + dy(t); its part not zoned out gives dPre_z and dPre_n (into Dg
    /// and DgHidden); the carry becomes dh z plus the kept part. A finished sequence passes the carry through
    /// with zero gate gradients.
    /// </summary>
    [Kernel]
    public static void UpdateGradient(CellOptionsGradArgs a)
    {
        var v = a.Views;
        int s = a.S, t = a.T, batch = v.Batch, h = v.Hidden, g3 = 3 * h;
        for (var n = Grid.GlobalIndex.X; n < batch * h; n += Grid.DimX * Group.DimX)
        {
            int b = n / h, j = n - b * h;
            var row = (t * batch + b) * g3;
            if (!v.Mask.IsActive(t, b))
            {
                for (var q = 0; q < 3; q++)
                {
                    a.Dg[row + q * h + j] = 0f;
                    a.DgHidden[row + q * h + j] = 0f;
                }
                continue;
            }
            var dh = a.StateCarry[n] + a.OutputGradient[(t * batch + b) * a.LdOutput + a.OutputOffset + j];
            var keep = v.Zoneout.KeepH(t, b, j);
            var dNew = keep ? 0f : dh;
            float z = v.Gates[row + h + j], c = v.Gates[row + 2 * h + j];
            var hp = v.States[(v.Slots.Previous(s, t) * batch + b) * h + j];
            var dPreZ = dNew * (hp - c) * z * (1f - z);
            var dPreN = dNew * (1f - z) * (1f - c * c);
            a.Dg[row + h + j] = a.DgHidden[row + h + j] = dPreZ;
            a.Dg[row + 2 * h + j] = a.DgHidden[row + 2 * h + j] = dPreN;
            a.StateCarry[n] = dNew * z + (keep ? dh : 0f);
        }
    }

    /// <summary>Backward, second launch: Dm holds d(r ⊙ h) = dPre_n W_hn; dPre_r = d(r ⊙ h) h(t−1) r (1 − r), and d(r ⊙ h) r joins the carry.</summary>
    [Kernel]
    public static void ResetGradient(CellOptionsGradArgs a)
    {
        var v = a.Views;
        int s = a.S, t = a.T, batch = v.Batch, h = v.Hidden, g3 = 3 * h;
        for (var n = Grid.GlobalIndex.X; n < batch * h; n += Grid.DimX * Group.DimX)
        {
            int b = n / h, j = n - b * h;
            if (!v.Mask.IsActive(t, b)) continue;
            var row = (t * batch + b) * g3;
            var r = v.Gates[row + j];
            var dRh = a.Dm[n];
            var hp = v.States[(v.Slots.Previous(s, t) * batch + b) * h + j];
            a.Dg[row + j] = a.DgHidden[row + j] = dRh * hp * r * (1f - r);
            a.StateCarry[n] += dRh * r;
        }
    }

    /// <summary>Gate q's pre-activation: x + b_i + Recurrent + b_h (Recurrent's n block is W_hn (r ⊙ h)).</summary>
    private static float Pre(CellOptionsViews v, int row, int q)
    {
        var pre = v.InputPre[row + q] + v.Recurrent[row + q];
        return v.HasBias != 0 ? pre + v.BiasIh[q] + v.BiasHh[q] : pre;
    }
}
