using ILGPU;
using ILGPU.Algorithms;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Fused optimizer updates, one launch per parameter tensor; the twin of
/// <c>src/Rnn.Cpu/Kernels/Optimizers.cs</c>, with the same float32 operations in the same order.
/// </summary>
internal static class Optimizers
{
    /// <summary>torch.optim.SGD (dampening 0).</summary>
    [Kernel]
    public static void Sgd(OptimizerArgs a)
    {
        ArrayView<float> p = a.Parameter, g = a.Gradient, velocity = a.State1;
        for (var i = Grid.GlobalIndex.X; i < a.Count; i += Grid.DimX * Group.DimX)
        {
            var grad = g[i] + a.WeightDecay * p[i];
            if (a.HasMomentum != 0)
            {
                var vel = a.Momentum * velocity[i] + grad;
                velocity[i] = vel;
                grad = a.Nesterov != 0 ? grad + a.Momentum * vel : vel;
            }
            p[i] -= a.Rate * grad;
        }
    }

    /// <summary>torch.optim.Adam / AdamW; 1 - beta, the bias corrections and the step size precomputed on the host in float64.</summary>
    [Kernel]
    public static void Adam(OptimizerArgs a)
    {
        ArrayView<float> p = a.Parameter, g = a.Gradient, m = a.State1, v = a.State2;
        for (var i = Grid.GlobalIndex.X; i < a.Count; i += Grid.DimX * Group.DimX)
        {
            var grad = g[i];
            if (a.Decoupled != 0) p[i] *= a.Decay;
            else grad += a.WeightDecay * p[i];
            var mi = a.Beta1 * m[i] + a.OneMinusBeta1 * grad;
            var vi = a.Beta2 * v[i] + a.OneMinusBeta2 * grad * grad;
            m[i] = mi;
            v[i] = vi;
            var denom = XMath.Sqrt(vi) / a.SqrtCorrection2 + a.Epsilon;
            p[i] -= a.StepSize * mi / denom;
        }
    }

    /// <summary>torch.optim.RMSprop, not centered.</summary>
    [Kernel]
    public static void RmsProp(OptimizerArgs a)
    {
        ArrayView<float> p = a.Parameter, g = a.Gradient, squareAverage = a.State1, buffer = a.State2;
        for (var i = Grid.GlobalIndex.X; i < a.Count; i += Grid.DimX * Group.DimX)
        {
            var grad = g[i] + a.WeightDecay * p[i];
            var sq = a.Alpha * squareAverage[i] + a.OneMinusAlpha * grad * grad;
            squareAverage[i] = sq;
            var avg = XMath.Sqrt(sq) + a.Epsilon;
            if (a.HasMomentum != 0)
            {
                var b = a.Momentum * buffer[i] + grad / avg;
                buffer[i] = b;
                p[i] -= a.Rate * b;
            }
            else p[i] -= a.Rate * grad / avg;
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
