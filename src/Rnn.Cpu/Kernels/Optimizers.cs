using System.Numerics;

namespace GpuRnn.Cpu.Kernels;

/// <summary>Optimizer updates, one parameter tensor per call; the CPU twins of the GPU's fused optimizer kernels.</summary>
internal static class Optimizers
{
    /// <summary>Sum of squares in float64, in index order.</summary>
    public static double SumOfSquares<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sum = 0.0;
        foreach (var v in x)
        {
            var d = double.CreateTruncating(v);
            sum += d * d;
        }
        return sum;
    }

    /// <summary>torch.optim.SGD (dampening 0).</summary>
    public static void Sgd<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> velocity, SgdSettings s, double lr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T wd = T.CreateTruncating(s.WeightDecay), mu = T.CreateTruncating(s.Momentum), rate = T.CreateTruncating(lr);
        for (var i = 0; i < p.Length; i++)
        {
            var grad = g[i] + wd * p[i];
            if (s.Momentum != 0)
            {
                velocity[i] = mu * velocity[i] + grad;
                grad = s.Nesterov ? grad + mu * velocity[i] : velocity[i];
            }
            p[i] -= rate * grad;
        }
    }

    /// <summary>torch.optim.Adam / AdamW.</summary>
    public static void Adam<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, AdamSettings s, double lr, long step) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T b1 = T.CreateTruncating(s.Beta1), b2 = T.CreateTruncating(s.Beta2), eps = T.CreateTruncating(s.Epsilon);
        T wd = T.CreateTruncating(s.WeightDecay);
        // Every scalar factor in float64, as PyTorch computes them on the host: in float32,
        // 1 - 0.999f is 1.3e-5 away from 0.001f, which PyTorch uses.
        T oneMinusB1 = T.CreateTruncating(1 - s.Beta1), oneMinusB2 = T.CreateTruncating(1 - s.Beta2);
        T sqrtC2 = T.CreateTruncating(Math.Sqrt(1 - Math.Pow(s.Beta2, step)));
        T decay = T.CreateTruncating(1 - lr * s.WeightDecay);
        T step_ = T.CreateTruncating(lr / (1 - Math.Pow(s.Beta1, step)));
        for (var i = 0; i < p.Length; i++)
        {
            var grad = g[i];
            if (s.Decoupled) p[i] *= decay;
            else grad += wd * p[i];
            m[i] = b1 * m[i] + oneMinusB1 * grad;
            v[i] = b2 * v[i] + oneMinusB2 * grad * grad;
            var denom = T.Sqrt(v[i]) / sqrtC2 + eps;
            p[i] -= step_ * m[i] / denom;
        }
    }

    /// <summary>torch.optim.RMSprop, not centered.</summary>
    public static void RmsProp<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> sq, Span<T> buffer, RmsPropSettings s, double lr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T alpha = T.CreateTruncating(s.Alpha), eps = T.CreateTruncating(s.Epsilon), wd = T.CreateTruncating(s.WeightDecay);
        T mu = T.CreateTruncating(s.Momentum), rate = T.CreateTruncating(lr);
        T oneMinusAlpha = T.CreateTruncating(1 - s.Alpha); // in float64, as PyTorch does
        for (var i = 0; i < p.Length; i++)
        {
            var grad = g[i] + wd * p[i];
            sq[i] = alpha * sq[i] + oneMinusAlpha * grad * grad;
            var avg = T.Sqrt(sq[i]) + eps;
            if (s.Momentum != 0)
            {
                buffer[i] = mu * buffer[i] + grad / avg;
                p[i] -= rate * buffer[i];
            }
            else p[i] -= rate * grad / avg;
        }
    }
}
