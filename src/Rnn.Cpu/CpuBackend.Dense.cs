using System.Numerics;
using GpuRnn.Cpu.Kernels;

namespace GpuRnn.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    protected override void GemmCore(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, double alpha, double beta, int m, int n, int k)
    {
        using var threads = CpuThreads.Use(Threads);
        if (a.DType == DType.Float32)
            Kernels.Gemm.Run(Own(a, "a").Span<float>(), transposeA, Own(b, "b").Span<float>(), transposeB, Own(c, "c").Span<float>(), m, n, k, (float)alpha, (float)beta);
        else
            Kernels.Gemm.Run(Own(a, "a").Span<double>(), transposeA, Own(b, "b").Span<double>(), transposeB, Own(c, "c").Span<double>(), m, n, k, alpha, beta);
    }

    /// <inheritdoc/>
    protected override void AddBiasCore(Tensor y, Tensor bias)
    {
        var (rows, cols) = y.Shape.AsMatrix();
        if (y.DType == DType.Float32) AddBias(Own(y, "y").Span<float>(), Own(bias, "bias").Span<float>(), rows, cols);
        else AddBias(Own(y, "y").Span<double>(), Own(bias, "bias").Span<double>(), rows, cols);
    }

    private static void AddBias<T>(Span<T> y, ReadOnlySpan<T> bias, int rows, int cols) where T : unmanaged, INumber<T>
    {
        for (var r = 0; r < rows; r++) Vectorized.Add(bias, y.Slice(r * cols, cols));
    }

    /// <inheritdoc/>
    protected override void SumRowsCore(Tensor x, Tensor sum, double beta)
    {
        var (rows, cols) = x.Shape.AsMatrix();
        if (x.DType == DType.Float32) SumRows(Own(x, "x").Span<float>(), Own(sum, "sum").Span<float>(), rows, cols, (float)beta);
        else SumRows(Own(x, "x").Span<double>(), Own(sum, "sum").Span<double>(), rows, cols, beta);
    }

    private static void SumRows<T>(ReadOnlySpan<T> x, Span<T> sum, int rows, int cols, T beta) where T : unmanaged, INumber<T>
    {
        if (beta == T.Zero) sum.Clear();
        else if (beta != T.One) Vectorized.Scale(sum, beta);
        for (var r = 0; r < rows; r++) Vectorized.Add(x.Slice(r * cols, cols), sum);
    }

    /// <inheritdoc/>
    protected override void AxpyCore(double alpha, Tensor x, Tensor y)
    {
        if (x.DType == DType.Float32) Vectorized.Axpy((float)alpha, Own(x, "x").Span<float>(), Own(y, "y").Span<float>());
        else Vectorized.Axpy(alpha, Own(x, "x").Span<double>(), Own(y, "y").Span<double>());
    }

    /// <inheritdoc/>
    protected override void ScaleCore(Tensor x, double alpha)
    {
        if (x.DType == DType.Float32) Vectorized.Scale(Own(x, "x").Span<float>(), (float)alpha);
        else Vectorized.Scale(Own(x, "x").Span<double>(), alpha);
    }

    /// <inheritdoc/>
    protected override void MultiplyCore(Tensor a, Tensor b, Tensor result)
    {
        if (a.DType == DType.Float32) Multiply(Own(a, "a").Span<float>(), Own(b, "b").Span<float>(), Own(result, "result").Span<float>());
        else Multiply(Own(a, "a").Span<double>(), Own(b, "b").Span<double>(), Own(result, "result").Span<double>());
    }

    private static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> result) where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < a.Length; i++) result[i] = a[i] * b[i];
    }

    /// <inheritdoc/>
    protected override void Transpose01Core(Tensor x, Tensor y)
    {
        var sx = Own(x, nameof(x));
        var sy = Own(y, nameof(y));
        int d0 = x.Shape[0], d1 = x.Shape[1], f = x.Shape[2];
        if (ReferenceEquals(sx.Storage, sy.Storage) && d0 > 1 && d1 > 1)
            throw new ArgumentException("Transpose01 cannot run in place");
        for (var i = 0; i < d0; i++)
            for (var j = 0; j < d1; j++)
                Array.Copy(sx.Storage, sx.Offset + (i * d1 + j) * f, sy.Storage, sy.Offset + (j * d0 + i) * f, f);
    }
}
