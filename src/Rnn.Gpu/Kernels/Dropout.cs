using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Inverted dropout from the counter-based generator: element i's mask depends only on (seed,
/// offset + i), so it is bit-for-bit the CPU backend's (<c>CpuBackend.Losses.cs</c>, Dropout).
/// </summary>
internal static class Dropout
{
    /// <summary>mask[i] = keep when Uniform(seed, offset + i) &gt;= p else 0; y[i] = x[i] * mask[i] (y may alias x).</summary>
    [Kernel]
    public static void Forward(DropoutArgs a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.Count; i += Grid.DimX * Group.DimX)
        {
            var m = CounterRng.Uniform(a.Seed, a.Offset + (ulong)i) >= a.P ? a.Keep : 0f;
            a.Mask[i] = m;
            a.Y[i] = a.X[i] * m;
        }
    }
}

/// <summary>One dropout launch: x, y and mask [Count] (y may alias x) and its scalars.</summary>
internal struct DropoutArgs
{
    public ArrayView<float> X, Y, Mask;
    public ulong Seed, Offset;
    public float P, Keep;
    public int Count;
}
