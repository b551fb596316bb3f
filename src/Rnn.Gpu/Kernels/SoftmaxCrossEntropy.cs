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
    public static void Rows(CrossEntropyArgs a)
    {
        ArrayView<float> logits = a.Logits, dLogits = a.DLogits, rowStats = a.RowStats;
        var targets = a.Targets;
        int v = a.Classes, withGrad = a.WithGrad;
        var scale = a.Scale;
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
    public static void SumRowStatistics(SumArgs a)
    {
        ArrayView<float> rowStats = a.Values, stats = a.Result;
        var rows = a.Count;
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
    public static void Softmax(SoftmaxArgs a)
    {
        ArrayView<float> logits = a.Logits, probabilities = a.Probabilities;
        var v = a.Classes;
        var temperature = a.Temperature;
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
    public static void SquaredError(SquaredErrorArgs a)
    {
        ArrayView<float> prediction = a.Prediction, target = a.Target, dPrediction = a.DPrediction, partials = a.Partials;
        int n = a.N, withGrad = a.WithGrad;
        var scale = a.Scale;
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
    public static void SumPartials(SumArgs a)
    {
        ArrayView<float> partials = a.Values, result = a.Result;
        var count = a.Count;
        var shared = SharedMemory.Allocate<float>(LaunchShapes.GroupSize + 1);
        var s = 0f;
        for (var i = Group.IdxX; i < count; i += Group.DimX) s += partials[i];
        var total = Reductions.GroupSum(shared, s);
        if (Group.IdxX == 0) result[0] = total;
    }
}

/// <summary>Logits [N, Classes] and targets [N]; DLogits (may alias Logits) written when WithGrad; RowStats [3N].</summary>
internal struct CrossEntropyArgs
{
    public ArrayView<float> Logits, DLogits, RowStats;
    public ArrayView<int> Targets;
    public int Classes, WithGrad;
    public float Scale;
}

/// <summary>Logits and Probabilities [N, Classes].</summary>
internal struct SoftmaxArgs
{
    public ArrayView<float> Logits, Probabilities;
    public int Classes;
    public float Temperature;
}

/// <summary>Prediction, Target and DPrediction [N] (DPrediction written when WithGrad); Partials [groups].</summary>
internal struct SquaredErrorArgs
{
    public ArrayView<float> Prediction, Target, DPrediction, Partials;
    public int N, WithGrad;
    public float Scale;
}

/// <summary>One group's in-order sum of Count values (or rows of statistics) into Result.</summary>
internal struct SumArgs
{
    public ArrayView<float> Values, Result;
    public int Count;
}
