using System.Runtime.CompilerServices;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// The elementwise part of one LSTM backward step (no projection) for one batch row, float32,
/// vectorised over the hidden units; the twin of <see cref="LstmBackward"/>'s inner loop. From the
/// saved activations i, f, g, o, c(t) and c(t-1) and the incoming dh, dc:
/// dPre_o = dh tanh(c) o (1 - o), dc' = dc + dh o (1 - tanh²c) [+ dPre_o w_co],
/// dPre_i = dc' g i (1 - i), dPre_f = dc' c(t-1) f (1 - f), dPre_g = dc' i (1 - g²),
/// dc(t-1) = dc' f [+ dPre_i w_ci + dPre_f w_cf].
/// </summary>
internal static unsafe class LstmStepBackward
{
    /// <summary>
    /// One row: gates [4H] (i, f, g, o blocks), c and cPrev [H], dh [H]; dc [H] in, dc(t-1) out;
    /// dPre [4H] out. Peepholes: w_ci, w_cf, w_co at peep, peep + H, peep + 2H (null without).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row<TV, TL>(int hidden, float* gates, float* c, float* cPrev, float* dh, float* dc, float* dPre, float* peep, float* scratch)
        where TV : struct where TL : IFloatLanes<TV>
    {
        var one = TL.Splat(1f);
        for (var j = 0; j < hidden; j += TL.Count)
        {
            var n = Math.Min(TL.Count, hidden - j);
            var (i, f, g) = PartialLanes.LoadThree<TV, TL>(gates + j, hidden, n, scratch);
            var o = PartialLanes.Load<TV, TL>(gates + 3 * hidden + j, n, scratch);
            var cNow = PartialLanes.Load<TV, TL>(c + j, n, scratch);
            var cp = PartialLanes.Load<TV, TL>(cPrev + j, n, scratch);
            var dhj = PartialLanes.Load<TV, TL>(dh + j, n, scratch);
            var dcj = PartialLanes.Load<TV, TL>(dc + j, n, scratch);
            var tc = VectorMath.Tanh<TV, TL>(cNow);
            var dPreO = TL.Multiply(TL.Multiply(TL.Multiply(dhj, tc), o), TL.Subtract(one, o));
            var dcTotal = TL.Add(dcj, TL.Multiply(TL.Multiply(dhj, o), TL.Subtract(one, TL.Multiply(tc, tc))));
            if (peep != null) dcTotal = TL.Add(dcTotal, TL.Multiply(dPreO, PartialLanes.Load<TV, TL>(peep + 2 * hidden + j, n, scratch)));
            var dPreI = TL.Multiply(TL.Multiply(TL.Multiply(dcTotal, g), i), TL.Subtract(one, i));
            var dPreF = TL.Multiply(TL.Multiply(TL.Multiply(dcTotal, cp), f), TL.Subtract(one, f));
            var dPreG = TL.Multiply(TL.Multiply(dcTotal, i), TL.Subtract(one, TL.Multiply(g, g)));
            var dcPrev = TL.Multiply(dcTotal, f);
            if (peep != null)
            {
                dcPrev = TL.Add(dcPrev, TL.Add(TL.Multiply(dPreI, PartialLanes.Load<TV, TL>(peep + j, n, scratch)),
                    TL.Multiply(dPreF, PartialLanes.Load<TV, TL>(peep + hidden + j, n, scratch))));
            }
            PartialLanes.StoreThree<TV, TL>(dPre + j, hidden, dPreI, dPreF, dPreG, n, scratch);
            PartialLanes.Store<TV, TL>(dPre + 3 * hidden + j, dPreO, n, scratch);
            PartialLanes.Store<TV, TL>(dc + j, dcPrev, n, scratch);
        }
    }
}
