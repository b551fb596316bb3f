using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>Embedding lookup and its gradient; the twin of <c>src/Rnn.Cpu/Kernels/Embedding.cs</c>.</summary>
internal static class Embedding
{
    /// <summary>output[n, e] = table[ids[n], e], or 0 for id -1; grid-stride over N * E.</summary>
    [Kernel]
    public static void Forward(EmbeddingArgs a)
    {
        ArrayView<int> ids = a.Ids;
        ArrayView<float> table = a.Table, output = a.Output;
        int count = a.N * a.Dim, dim = a.Dim;
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
    public static void Backward(EmbeddingArgs a)
    {
        ArrayView<int> ids = a.Ids;
        ArrayView<float> dTable = a.Table, dOutput = a.Output;
        int n = a.N, dim = a.Dim, vocab = a.Vocab, chunks = a.Chunks;
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
    public static void CheckIds(CheckIdsArgs a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.N; i += Grid.DimX * Group.DimX)
        {
            var id = a.Ids[i];
            if (id < -1 || id >= a.Vocab) Atomic.Min(ref a.FirstBad[0], i);
        }
    }
}

/// <summary>
/// One embedding launch: ids [N], the table [V, E] (dTable in the backward) and the rows [N, E]
/// (dOutput in the backward); Chunks of vocabulary rows split the backward's columns.
/// </summary>
internal struct EmbeddingArgs
{
    public ArrayView<int> Ids;
    public ArrayView<float> Table, Output;
    public int N, Dim, Vocab, Chunks;
}

/// <summary>ids [N] checked against [-1, Vocab); FirstBad [1] starts at int.MaxValue.</summary>
internal struct CheckIdsArgs
{
    public ArrayView<int> Ids, FirstBad;
    public int N, Vocab;
}
