using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>Embedding lookup and its gradient; the twin of <c>src/Rnn.Cpu/Kernels/Embedding.cs</c>.</summary>
internal static class Embedding
{
    /// <summary>output[n, e] = table[ids[n], e], or 0 for id -1; grid-stride over N * E.</summary>
    [Kernel]
    public static void Forward(ArrayView<int> ids, ArrayView<float> table, ArrayView<float> output, int count, int dim)
    {
        for (var i = Grid.GlobalIndex.X; i < count; i += Grid.DimX * Group.DimX)
        {
            var id = ids[i / dim];
            output[i] = id < 0 ? 0f : table[id * dim + i % dim];
        }
    }

    /// <summary>
    /// dTable[ids[n], e] += dOutput[n, e]. Thread (e, chunk) owns column e of the vocabulary rows
    /// in its chunk and scans the ids in order, so every element is summed in the CPU's order with
    /// no atomics (deterministic); threads = E x chunks.
    /// </summary>
    [Kernel]
    public static void Backward(ArrayView<int> ids, ArrayView<float> dOutput, ArrayView<float> dTable, int n, int dim, int vocab, int chunks)
    {
        var chunkRows = (vocab + chunks - 1) / chunks;
        for (var w = Grid.GlobalIndex.X; w < dim * chunks; w += Grid.DimX * Group.DimX)
        {
            var e = w % dim;
            var v0 = w / dim * chunkRows;
            var v1 = v0 + chunkRows;
            for (var r = 0; r < n; r++)
            {
                var id = ids[r];
                if (id >= v0 && id < v1) dTable[id * dim + e] += dOutput[r * dim + e];
            }
        }
    }

    /// <summary>firstBad[0] = the smallest index whose id is outside [-1, vocab) (stays int.MaxValue when all are valid).</summary>
    [Kernel]
    public static void CheckIds(ArrayView<int> ids, ArrayView<int> firstBad, int n, int vocab)
    {
        for (var i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            var id = ids[i];
            if (id < -1 || id >= vocab) Atomic.Min(ref firstBad[0], i);
        }
    }
}
