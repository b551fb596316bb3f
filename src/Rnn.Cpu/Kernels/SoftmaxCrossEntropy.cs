using System.Numerics;

namespace GpuRnn.Cpu.Kernels;

/// <summary>Softmax cross-entropy with its gradient in one pass; the CPU twin of the GPU kernel.</summary>
internal static class SoftmaxCrossEntropy
{
    /// <summary>
    /// Per row: loss = logsumexp(z) - z[target]; dz = (softmax(z) - onehot) * scale; rows with
    /// target -1 add nothing and get a zero gradient. stats = [loss sum, correct, counted].
    /// </summary>
    public static void Run<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, Span<T> dLogits, bool withGrad, T scale,
        Span<T> stats, int n, int v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T loss = T.Zero, correct = T.Zero, counted = T.Zero;
        for (var r = 0; r < n; r++)
        {
            var z = logits.Slice(r * v, v);
            var target = targets[r];
            if (target < 0)
            {
                if (withGrad) dLogits.Slice(r * v, v).Clear();
                continue;
            }
            var max = z[0];
            var argmax = 0;
            for (var j = 1; j < v; j++) if (z[j] > max) { max = z[j]; argmax = j; }
            var sum = T.Zero;
            for (var j = 0; j < v; j++) sum += T.Exp(z[j] - max);
            // log(sum) - (z[target] - max), not (log(sum) + max) - z[target]: with large logits the
            // latter cancels two numbers near max and loses ulp(max) per row in float32.
            loss += T.Log(sum) - (z[target] - max);
            counted += T.One;
            if (argmax == target) correct += T.One;
            if (!withGrad) continue;
            var dz = dLogits.Slice(r * v, v);
            var inv = T.One / sum;
            for (var j = 0; j < v; j++) dz[j] = T.Exp(z[j] - max) * inv * scale;
            dz[target] -= scale;
        }
        stats[0] = loss;
        stats[1] = correct;
        stats[2] = counted;
    }

    /// <summary>probabilities = softmax(logits / temperature), by rows of width v.</summary>
    public static void Softmax<T>(ReadOnlySpan<T> logits, Span<T> probabilities, int n, int v, T temperature) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var r = 0; r < n; r++)
        {
            var z = logits.Slice(r * v, v);
            var p = probabilities.Slice(r * v, v);
            var max = z[0];
            for (var j = 1; j < v; j++) max = T.Max(max, z[j]);
            var sum = T.Zero;
            for (var j = 0; j < v; j++) { p[j] = T.Exp((z[j] - max) / temperature); sum += p[j]; }
            var inv = T.One / sum;
            for (var j = 0; j < v; j++) p[j] *= inv;
        }
    }
}
