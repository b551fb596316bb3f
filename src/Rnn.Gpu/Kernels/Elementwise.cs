using ILGPU;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Element-wise kernels, grid-stride over the elements so the grid is one wave of resident
/// groups whatever the size. CPU twins: the loops of <c>CpuBackend.Dense.cs</c> and
/// <c>Vectorized</c> in <c>src/Rnn.Cpu/Kernels/Gemm.cs</c>.
/// </summary>
internal static class Elementwise
{
    /// <summary>x[i] = value.</summary>
    [Kernel]
    public static void Fill(ArrayView<float> x, float value, int n)
    {
        for (var i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX) x[i] = value;
    }

    /// <summary>x[i] = value, int32.</summary>
    [Kernel]
    public static void FillInt(ArrayView<int> x, int value, int n)
    {
        for (var i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX) x[i] = value;
    }

    /// <summary>y[i] += alpha * x[i].</summary>
    [Kernel]
    public static void Axpy(ArrayView<float> x, ArrayView<float> y, float alpha, int n)
    {
        for (var i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX) y[i] += alpha * x[i];
    }

    /// <summary>x[i] *= alpha.</summary>
    [Kernel]
    public static void Scale(ArrayView<float> x, float alpha, int n)
    {
        for (var i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX) x[i] *= alpha;
    }

    /// <summary>result[i] = a[i] * b[i] (result may alias a or b).</summary>
    [Kernel]
    public static void Multiply(ArrayView<float> a, ArrayView<float> b, ArrayView<float> result, int n)
    {
        for (var i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX) result[i] = a[i] * b[i];
    }

    /// <summary>y[r, c] += bias[c] for y [n / cols, cols].</summary>
    [Kernel]
    public static void AddBias(ArrayView<float> y, ArrayView<float> bias, int n, int cols)
    {
        for (var i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX) y[i] += bias[i % cols];
    }

    /// <summary>y [d1, d0, f] = x [d0, d1, f] with the first two axes swapped; one thread per element of y.</summary>
    [Kernel]
    public static void Transpose01(ArrayView<float> x, ArrayView<float> y, int d0, int d1, int f)
    {
        var n = d0 * d1 * f;
        for (var i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            var k = i % f;
            var row = i / f;
            int a = row % d0, j = row / d0;
            y[i] = x[(a * d1 + j) * f + k];
        }
    }
}
