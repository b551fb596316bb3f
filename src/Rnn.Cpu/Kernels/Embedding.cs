using System.Numerics;

namespace GpuRnn.Cpu.Kernels;

/// <summary>Embedding lookup and its gradient; the CPU twin of the GPU's embedding kernels.</summary>
internal static class Embedding
{
    /// <summary>output[n, :] = table[ids[n], :], or zeros for id -1.</summary>
    public static void Forward<T>(ReadOnlySpan<int> ids, ReadOnlySpan<T> table, Span<T> output, int dim) where T : unmanaged, INumber<T>
    {
        for (var n = 0; n < ids.Length; n++)
        {
            var row = output.Slice(n * dim, dim);
            if (ids[n] < 0) row.Clear();
            else table.Slice(ids[n] * dim, dim).CopyTo(row);
        }
    }

    /// <summary>dTable[ids[n], :] += dOutput[n, :], in order of n.</summary>
    public static void Backward<T>(ReadOnlySpan<int> ids, ReadOnlySpan<T> dOutput, Span<T> dTable, int dim) where T : unmanaged, INumber<T>
    {
        for (var n = 0; n < ids.Length; n++)
        {
            if (ids[n] >= 0) Vectorized.Add(dOutput.Slice(n * dim, dim), dTable.Slice(ids[n] * dim, dim));
        }
    }
}
