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
        var h = v.Hidden;
        for (var n = Grid.GlobalIndex.X; n < v.Batch * h; n += Grid.DimX * Group.DimX)
        {
            var u = new Unit(v, a.S, a.T, n);
            if (!u.Active) continue;
            var r = GpuMath.Sigmoid(Pre(v, u.Row, u.J));
            v.Gates[u.Row + u.J] = r;
            v.Gates[u.Row + h + u.J] = GpuMath.Sigmoid(Pre(v, u.Row, h + u.J));
            v.Extra[u.Step] = r * v.States[u.Previous];
        }
    }

    /// <summary>n, h~ and zoneout; Recurrent's n block holds W_hn (r ⊙ h(t−1)). A finished sequence keeps h and outputs zero.</summary>
    [Kernel]
    public static void Candidate(CellOptionsStepArgs a)
    {
        var v = a.Views;
        int s = a.S, t = a.T, batch = v.Batch, h = v.Hidden;
        for (var n = Grid.GlobalIndex.X; n < batch * h; n += Grid.DimX * Group.DimX)
        {
            var u = new Unit(v, s, t, n);
            var hp = v.States[u.Previous];
            var next = (v.Slots.Output(s, t) * batch + u.B) * h + u.J;
            var y = (t * batch + u.B) * a.LdOutput + a.OutputOffset + u.J;
            if (!u.Active)
            {
                v.States[next] = hp;
                a.Output[y] = 0f;
                continue;
            }
            var c = GpuMath.Tanh(Pre(v, u.Row, 2 * h + u.J));
            var z = v.Gates[u.Row + h + u.J];
            v.Gates[u.Row + 2 * h + u.J] = c;
            var hv = v.Zoneout.ZoneH(hp, (1f - z) * c + z * hp, v.Zoneout.KeepH(t, u.B, u.J));
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
        int t = a.T, batch = v.Batch, h = v.Hidden;
        for (var n = Grid.GlobalIndex.X; n < batch * h; n += Grid.DimX * Group.DimX)
        {
            var u = new Unit(v, a.S, t, n);
            if (!u.Active)
            {
                for (var q = 0; q < 3; q++)
                {
                    a.Dg[u.Row + q * h + u.J] = 0f;
                    a.DgHidden[u.Row + q * h + u.J] = 0f;
                }
                continue;
            }
            var dh = a.StateCarry[n] + a.OutputGradient[(t * batch + u.B) * a.LdOutput + a.OutputOffset + u.J];
            var keep = v.Zoneout.KeepH(t, u.B, u.J);
            var dNew = keep ? 0f : dh;
            float z = v.Gates[u.Row + h + u.J], c = v.Gates[u.Row + 2 * h + u.J];
            var hp = v.States[u.Previous];
            var dPreZ = dNew * (hp - c) * z * (1f - z);
            var dPreN = dNew * (1f - z) * (1f - c * c);
            a.Dg[u.Row + h + u.J] = a.DgHidden[u.Row + h + u.J] = dPreZ;
            a.Dg[u.Row + 2 * h + u.J] = a.DgHidden[u.Row + 2 * h + u.J] = dPreN;
            a.StateCarry[n] = dNew * z + (keep ? dh : 0f);
        }
    }

    /// <summary>Backward, second launch: Dm holds d(r ⊙ h) = dPre_n W_hn; dPre_r = d(r ⊙ h) h(t−1) r (1 − r), and d(r ⊙ h) r joins the carry.</summary>
    [Kernel]
    public static void ResetGradient(CellOptionsGradArgs a)
    {
        var v = a.Views;
        for (var n = Grid.GlobalIndex.X; n < v.Batch * v.Hidden; n += Grid.DimX * Group.DimX)
        {
            var u = new Unit(v, a.S, a.T, n);
            if (!u.Active) continue;
            var r = v.Gates[u.Row + u.J];
            var dRh = a.Dm[n];
            a.Dg[u.Row + u.J] = a.DgHidden[u.Row + u.J] = dRh * v.States[u.Previous] * r * (1f - r);
            a.StateCarry[n] += dRh * r;
        }
    }

    /// <summary>Gate q's pre-activation: x + b_i + Recurrent + b_h (Recurrent's n block is W_hn (r ⊙ h)).</summary>
    private static float Pre(CellOptionsViews v, int row, int q)
    {
        var pre = v.InputPre[row + q] + v.Recurrent[row + q];
        return v.HasBias != 0 ? pre + v.BiasIh[q] + v.BiasHh[q] : pre;
    }

    /// <summary>Unit n of [B, H] at step (s, t): where its gates, step values and previous state lie.</summary>
    private readonly struct Unit
    {
        public readonly int B, J;
        public readonly int Row;      // (t B + b) 3H: the row of Gates, InputPre and Recurrent
        public readonly int Step;     // (t B + b) H + j: the unit in [T, B, H]
        public readonly int Previous; // h(t−1)'s element in States
        public readonly bool Active;

        public Unit(CellOptionsViews v, int s, int t, int n)
        {
            int h = v.Hidden, batch = v.Batch;
            B = n / h;
            J = n - B * h;
            Row = (t * batch + B) * 3 * h;
            Step = (t * batch + B) * h + J;
            Previous = (v.Slots.Previous(s, t) * batch + B) * h + J;
            Active = v.Mask.IsActive(t, B);
        }
    }
}
