using ILGPU;
using ILGPU.Algorithms;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Fused optimizer updates, one launch per parameter tensor; the twin of
/// <c>src/Rnn.Cpu/Kernels/Optimizers.cs</c>, with the same float32 operations in the same order.
/// </summary>
internal static class Optimizers
{
    /// <summary>torch.optim.SGD (dampening 0); State1 is the velocity.</summary>
    [Kernel]
    public static void Sgd(OptimizerArgs a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.Count; i += Grid.DimX * Group.DimX)
        {
            var grad = a.Gradient[i] + a.WeightDecay * a.Parameter[i];
            if (a.HasMomentum != 0)
            {
                var vel = a.Momentum * a.State1[i] + grad;
                a.State1[i] = vel;
                grad = a.Nesterov != 0 ? grad + a.Momentum * vel : vel;
            }
            a.Parameter[i] -= a.Rate * grad;
        }
    }

    /// <summary>torch.optim.Adam / AdamW (State1 m, State2 v); 1 - beta, the bias corrections and the step size precomputed on the host in float64.</summary>
    [Kernel]
    public static void Adam(OptimizerArgs a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.Count; i += Grid.DimX * Group.DimX)
        {
            var grad = a.Gradient[i];
            if (a.Decoupled != 0) a.Parameter[i] *= a.Decay;
            else grad += a.WeightDecay * a.Parameter[i];
            var mi = a.Beta1 * a.State1[i] + a.OneMinusBeta1 * grad;
            var vi = a.Beta2 * a.State2[i] + a.OneMinusBeta2 * grad * grad;
            a.State1[i] = mi;
            a.State2[i] = vi;
            var denom = XMath.Sqrt(vi) / a.SqrtCorrection2 + a.Epsilon;
            a.Parameter[i] -= a.StepSize * mi / denom;
        }
    }

    /// <summary>torch.optim.RMSprop, not centered (State1 the square average, State2 the momentum buffer).</summary>
    [Kernel]
    public static void RmsProp(OptimizerArgs a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.Count; i += Grid.DimX * Group.DimX)
        {
            var grad = a.Gradient[i] + a.WeightDecay * a.Parameter[i];
            var sq = a.Alpha * a.State1[i] + a.OneMinusAlpha * grad * grad;
            a.State1[i] = sq;
            var avg = XMath.Sqrt(sq) + a.Epsilon;
            if (a.HasMomentum != 0)
            {
                var b = a.Momentum * a.State2[i] + grad / avg;
                a.State2[i] = b;
                a.Parameter[i] -= a.Rate * b;
            }
            else a.Parameter[i] -= a.Rate * grad / avg;
        }
    }
}

/// <summary>
/// One optimizer launch: the parameter, its gradient and up to two state tensors [Count] (SGD:
/// velocity; Adam: m, v; RMSprop: square average, momentum buffer), with scalars computed in
/// float64 on the host and rounded to float32 as the CPU backend (and PyTorch) does: in float32,
/// 1 - 0.999f is 1.3e-5 away from 0.001. A state the update does not read is a valid view of the parameter.
/// </summary>
internal struct OptimizerArgs
{
    public ArrayView<float> Parameter, Gradient, State1, State2;
    public int Count, HasMomentum, Nesterov, Decoupled;
    public float Rate, Momentum, WeightDecay, Beta1, Beta2, Alpha, Epsilon, Decay, StepSize, SqrtCorrection2;
    public float OneMinusBeta1, OneMinusBeta2, OneMinusAlpha;
}
