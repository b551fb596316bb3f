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
    public static void Fill(FillArgs<float> a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.N; i += Grid.DimX * Group.DimX) a.X[i] = a.Value;
    }

    /// <summary>x[i] = value, int32.</summary>
    [Kernel]
    public static void FillInt(FillArgs<int> a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.N; i += Grid.DimX * Group.DimX) a.X[i] = a.Value;
    }

    /// <summary>y[i] += alpha * x[i].</summary>
    [Kernel]
    public static void Axpy(AxpyArgs a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.N; i += Grid.DimX * Group.DimX) a.Y[i] += a.Alpha * a.X[i];
    }

    /// <summary>x[i] *= value.</summary>
    [Kernel]
    public static void Scale(FillArgs<float> a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.N; i += Grid.DimX * Group.DimX) a.X[i] *= a.Value;
    }

    /// <summary>result[i] = a[i] * b[i] (result may alias a or b).</summary>
    [Kernel]
    public static void Multiply(MultiplyArgs a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.N; i += Grid.DimX * Group.DimX) a.Result[i] = a.A[i] * a.B[i];
    }

    /// <summary>y[r, c] += bias[c] for y [n / cols, cols].</summary>
    [Kernel]
    public static void AddBias(AddBiasArgs a)
    {
        for (var i = Grid.GlobalIndex.X; i < a.N; i += Grid.DimX * Group.DimX) a.Y[i] += a.Bias[i % a.Cols];
    }

    /// <summary>y [d1, d0, f] = x [d0, d1, f] with the first two axes swapped; one thread per element of y.</summary>
    [Kernel]
    public static void Transpose01(TransposeArgs p)
    {
        int d0 = p.D0, d1 = p.D1, f = p.F;
        ArrayView<float> x = p.X, y = p.Y;
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

/// <summary>x[i] = value (Fill, FillInt) or x[i] *= value (Scale) over n elements.</summary>
internal struct FillArgs<T> where T : unmanaged
{
    public ArrayView<T> X;
    public T Value;
    public int N;
}

/// <summary>y[i] += alpha * x[i] over n elements.</summary>
internal struct AxpyArgs
{
    public ArrayView<float> X, Y;
    public float Alpha;
    public int N;
}

/// <summary>result[i] = a[i] * b[i] over n elements.</summary>
internal struct MultiplyArgs
{
    public ArrayView<float> A, B, Result;
    public int N;
}

/// <summary>y [n / cols, cols] += bias [cols].</summary>
internal struct AddBiasArgs
{
    public ArrayView<float> Y, Bias;
    public int N, Cols;
}

/// <summary>y [d1, d0, f] = x [d0, d1, f].</summary>
internal struct TransposeArgs
{
    public ArrayView<float> X, Y;
    public int D0, D1, F;
}
