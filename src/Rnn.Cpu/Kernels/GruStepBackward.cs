using System.Runtime.CompilerServices;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// The elementwise part of one GRU (reset after) backward step for one batch row, float32,
/// vectorised over the hidden units; the twin of <see cref="GruBackward"/>'s inner loop. From the
/// saved r, z, n, e = W_hn h(t-1) + b_hn and h(t-1), and the incoming dh:
/// dPre_n = dh (1 - z)(1 - n²), dPre_z = dh (h(t-1) - n) z (1 - z), dPre_r = dPre_n e r (1 - r);
/// the input side gets (dPre_r, dPre_z, dPre_n), the hidden side (dPre_r, dPre_z, dPre_n r), and
/// h(t-1) directly dh z (the hidden side's product with W_hh is added to that by the caller).
/// </summary>
internal static unsafe class GruStepBackward
{
    /// <summary>One row: gates [3H] (r, z, n), hPrev and extra [H], dh [H]; writes dPreX, dPreH [3H] and direct [H].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row<TV, TL>(int hidden, float* gates, float* hPrev, float* extra, float* dh, float* dPreX, float* dPreH, float* direct, float* scratch)
        where TV : struct where TL : IFloatLanes<TV>
    {
        var one = TL.Splat(1f);
        for (var j = 0; j < hidden; j += TL.Count)
        {
            var count = Math.Min(TL.Count, hidden - j);
            var (r, z, n) = PartialLanes.LoadThree<TV, TL>(gates + j, hidden, count, scratch);
            var hp = PartialLanes.Load<TV, TL>(hPrev + j, count, scratch);
            var e = PartialLanes.Load<TV, TL>(extra + j, count, scratch);
            var dhj = PartialLanes.Load<TV, TL>(dh + j, count, scratch);
            var dPreN = TL.Multiply(TL.Multiply(dhj, TL.Subtract(one, z)), TL.Subtract(one, TL.Multiply(n, n)));
            var dPreZ = TL.Multiply(TL.Multiply(TL.Multiply(dhj, TL.Subtract(hp, n)), z), TL.Subtract(one, z));
            var dPreR = TL.Multiply(TL.Multiply(TL.Multiply(dPreN, e), r), TL.Subtract(one, r));
            PartialLanes.StoreThree<TV, TL>(dPreX + j, hidden, dPreR, dPreZ, dPreN, count, scratch);
            PartialLanes.StoreThree<TV, TL>(dPreH + j, hidden, dPreR, dPreZ, TL.Multiply(dPreN, r), count, scratch);
            PartialLanes.Store<TV, TL>(direct + j, TL.Multiply(dhj, z), count, scratch);
        }
    }
}
