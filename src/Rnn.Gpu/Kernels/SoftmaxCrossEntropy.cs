using ILGPU;
using ILGPU.Algorithms;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Softmax cross-entropy with its gradient in one pass, softmax and squared error; the twin of
/// <c>src/Rnn.Cpu/Kernels/SoftmaxCrossEntropy.cs</c>. One 64-thread group per row: max and
/// arg-max, then the sum of exponentials, then the gradient, each over the row's columns in
/// grid-stride order; per-row statistics are added by <see cref="SumRowStatistics"/> in row order.
/// </summary>
internal static class SoftmaxCrossEntropy
{
    /// <summary>
    /// Row r of logits [N, V]: rowStats[3r..3r+2] = (loss, correct, counted); dLogits row =
    /// (softmax - onehot) * scale when withGrad (dLogits may alias logits). Target -1 rows give zeros.
    /// </summary>
    [Kernel]
    public static void Rows(ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> dLogits, ArrayView<float> rowStats,
        int v, int withGrad, float scale)
    {
        var shared = SharedMemory.Allocate<float>(LaunchShapes.GroupSize + 1);
        var sharedIndex = SharedMemory.Allocate<int>(LaunchShapes.GroupSize);
        var r = Grid.IdxX;
        var tid = Group.IdxX;
        var row = r * v;
        var target = targets[r];
        if (target < 0)
        {
            if (withGrad != 0)
                for (var j = tid; j < v; j += Group.DimX) dLogits[row + j] = 0f;
            if (tid == 0)
            {
                rowStats[3 * r] = 0f;
                rowStats[3 * r + 1] = 0f;
                rowStats[3 * r + 2] = 0f;
            }
            return;
        }
        var zTarget = logits[row + target];

        // Arg-max: each thread keeps its first maximum; ties across threads go to the lower column.
        var best = float.NegativeInfinity;
        var bestIndex = int.MaxValue;
        for (var j = tid; j < v; j += Group.DimX)
        {
            var z = logits[row + j];
            if (z > best || bestIndex == int.MaxValue) { best = z; bestIndex = j; }
        }
        shared[tid] = best;
        sharedIndex[tid] = bestIndex;
        Group.Barrier();
        if (tid == 0)
        {
            float m = shared[0];
            var mi = sharedIndex[0];
            for (var t = 1; t < Group.DimX; t++)
            {
                if (sharedIndex[t] == int.MaxValue) continue;
                if (shared[t] > m || (shared[t] == m && sharedIndex[t] < mi) || mi == int.MaxValue) { m = shared[t]; mi = sharedIndex[t]; }
            }
            shared[Group.DimX] = m;
            sharedIndex[0] = mi;
        }
        Group.Barrier();
        var max = shared[Group.DimX];
        var argmax = sharedIndex[0];
        Group.Barrier();

        var partial = 0f;
        for (var j = tid; j < v; j += Group.DimX) partial += XMath.Exp(logits[row + j] - max);
        var sum = Reductions.GroupSum(shared, partial);

        if (withGrad != 0)
        {
            var inv = 1f / sum;
            for (var j = tid; j < v; j += Group.DimX)
            {
                var g = XMath.Exp(logits[row + j] - max) * inv * scale;
                dLogits[row + j] = j == target ? g - scale : g;
            }
        }
        if (tid == 0)
        {
            rowStats[3 * r] = XMath.Log(sum) + max - zTarget;
            rowStats[3 * r + 1] = argmax == target ? 1f : 0f;
            rowStats[3 * r + 2] = 1f;
        }
    }

    /// <summary>stats[c] = sum over rows of rowStats[3r + c] for c in 0..2; one group, fixed order.</summary>
    [Kernel]
    public static void SumRowStatistics(ArrayView<float> rowStats, ArrayView<float> stats, int rows)
    {
        var shared = SharedMemory.Allocate<float>(LaunchShapes.GroupSize + 1);
        for (var c = 0; c < 3; c++)
        {
            var s = 0f;
            for (var r = Group.IdxX; r < rows; r += Group.DimX) s += rowStats[3 * r + c];
            var total = Reductions.GroupSum(shared, s);
            if (Group.IdxX == 0) stats[c] = total;
        }
    }

    /// <summary>probabilities row = softmax(logits row / temperature); one group per row.</summary>
    [Kernel]
    public static void Softmax(ArrayView<float> logits, ArrayView<float> probabilities, int v, float temperature)
    {
        var shared = SharedMemory.Allocate<float>(LaunchShapes.GroupSize + 1);
        var row = Grid.IdxX * v;
        var tid = Group.IdxX;
        var localMax = float.NegativeInfinity;
        for (var j = tid; j < v; j += Group.DimX) localMax = XMath.Max(localMax, logits[row + j]);
        var max = Reductions.GroupMax(shared, localMax);
        var partial = 0f;
        for (var j = tid; j < v; j += Group.DimX) partial += XMath.Exp((logits[row + j] - max) / temperature);
        var sum = Reductions.GroupSum(shared, partial);
        var inv = 1f / sum;
        for (var j = tid; j < v; j += Group.DimX) probabilities[row + j] = XMath.Exp((logits[row + j] - max) / temperature) * inv;
    }

    /// <summary>
    /// dPrediction = 2 (p - y) scale when withGrad; partials[group] = the group's sum of (p - y)^2,
    /// added in order by <see cref="SumPartials"/>.
    /// </summary>
    [Kernel]
    public static void SquaredError(ArrayView<float> prediction, ArrayView<float> target, ArrayView<float> dPrediction,
        ArrayView<float> partials, int n, int withGrad, float scale)
    {
        var shared = SharedMemory.Allocate<float>(LaunchShapes.GroupSize + 1);
        var s = 0f;
        for (var i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            var e = prediction[i] - target[i];
            s += e * e;
            if (withGrad != 0) dPrediction[i] = 2f * e * scale;
        }
        var total = Reductions.GroupSum(shared, s);
        if (Group.IdxX == 0) partials[Grid.IdxX] = total;
    }

    /// <summary>result[0] = the sum of partials[0..count) in order; one group.</summary>
    [Kernel]
    public static void SumPartials(ArrayView<float> partials, ArrayView<float> result, int count)
    {
        var shared = SharedMemory.Allocate<float>(LaunchShapes.GroupSize + 1);
        var s = 0f;
        for (var i = Group.IdxX; i < count; i += Group.DimX) s += partials[i];
        var total = Reductions.GroupSum(shared, s);
        if (Group.IdxX == 0) result[0] = total;
    }
}
