using System.Numerics;
using GpuRnn.Cpu.Kernels;

namespace GpuRnn.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, double alpha = 1, double beta = 0)
    {
        var dtype = TensorChecks.Floats(this, (a, nameof(a)), (b, nameof(b)), (c, nameof(c)));
        var (m, n, k) = GemmShape(a, transposeA, b, transposeB, c);
        using var threads = CpuThreads.Use(Threads);
        if (dtype == DType.Float32)
            Kernels.Gemm.Run(Own(a, "a").Span<float>(), transposeA, Own(b, "b").Span<float>(), transposeB, Own(c, "c").Span<float>(), m, n, k, (float)alpha, (float)beta);
        else
            Kernels.Gemm.Run(Own(a, "a").Span<double>(), transposeA, Own(b, "b").Span<double>(), transposeB, Own(c, "c").Span<double>(), m, n, k, alpha, beta);
    }

    /// <summary>Checks the operands of a GEMM and returns (M, N, K).</summary>
    internal static (int M, int N, int K) GemmShape(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c)
    {
        var (ar, ac) = a.Shape.AsMatrix();
        var (br, bc) = b.Shape.AsMatrix();
        var (cr, cc) = c.Shape.AsMatrix();
        int m = transposeA ? ac : ar, k = transposeA ? ar : ac;
        int kb = transposeB ? bc : br, n = transposeB ? br : bc;
        if (k != kb)
            throw new ArgumentException($"gemm inner dimensions differ: op(A) is [{m}, {k}] (A {a.Shape}) but op(B) is [{kb}, {n}] (B {b.Shape})");
        if (cr != m || cc != n)
            throw new ArgumentException($"gemm output C has shape {c.Shape} but [{m}, {n}] was expected");
        return (m, n, k);
    }

    /// <inheritdoc/>
    public void AddBias(Tensor y, Tensor bias)
    {
        var dtype = TensorChecks.Floats(this, (y, nameof(y)), (bias, nameof(bias)));
        var (rows, cols) = y.Shape.AsMatrix();
        TensorChecks.Shape(bias, new Shape(cols), nameof(bias));
        if (dtype == DType.Float32) AddBias(Own(y, "y").Span<float>(), Own(bias, "bias").Span<float>(), rows, cols);
        else AddBias(Own(y, "y").Span<double>(), Own(bias, "bias").Span<double>(), rows, cols);
    }

    private static void AddBias<T>(Span<T> y, ReadOnlySpan<T> bias, int rows, int cols) where T : unmanaged, INumber<T>
    {
        for (var r = 0; r < rows; r++) Vectorized.Add(bias, y.Slice(r * cols, cols));
    }

    /// <inheritdoc/>
    public void SumRows(Tensor x, Tensor sum, double beta = 1)
    {
        var dtype = TensorChecks.Floats(this, (x, nameof(x)), (sum, nameof(sum)));
        var (rows, cols) = x.Shape.AsMatrix();
        TensorChecks.Shape(sum, new Shape(cols), nameof(sum));
        if (dtype == DType.Float32) SumRows(Own(x, "x").Span<float>(), Own(sum, "sum").Span<float>(), rows, cols, (float)beta);
        else SumRows(Own(x, "x").Span<double>(), Own(sum, "sum").Span<double>(), rows, cols, beta);
    }

    private static void SumRows<T>(ReadOnlySpan<T> x, Span<T> sum, int rows, int cols, T beta) where T : unmanaged, INumber<T>
    {
        if (beta == T.Zero) sum.Clear();
        else if (beta != T.One) Vectorized.Scale(sum, beta);
        for (var r = 0; r < rows; r++) Vectorized.Add(x.Slice(r * cols, cols), sum);
    }

    /// <inheritdoc/>
    public void Axpy(double alpha, Tensor x, Tensor y)
    {
        var dtype = TensorChecks.Floats(this, (x, nameof(x)), (y, nameof(y)));
        TensorChecks.SameCount(x, y, nameof(x), nameof(y));
        if (dtype == DType.Float32) Vectorized.Axpy((float)alpha, Own(x, "x").Span<float>(), Own(y, "y").Span<float>());
        else Vectorized.Axpy(alpha, Own(x, "x").Span<double>(), Own(y, "y").Span<double>());
    }

    /// <inheritdoc/>
    public void Scale(Tensor x, double alpha)
    {
        var dtype = TensorChecks.Floats(this, (x, nameof(x)));
        if (dtype == DType.Float32) Vectorized.Scale(Own(x, "x").Span<float>(), (float)alpha);
        else Vectorized.Scale(Own(x, "x").Span<double>(), alpha);
    }

    /// <inheritdoc/>
    public void Multiply(Tensor a, Tensor b, Tensor result)
    {
        var dtype = TensorChecks.Floats(this, (a, nameof(a)), (b, nameof(b)), (result, nameof(result)));
        TensorChecks.SameCount(a, b, nameof(a), nameof(b));
        TensorChecks.SameCount(a, result, nameof(a), nameof(result));
        if (dtype == DType.Float32) Multiply(Own(a, "a").Span<float>(), Own(b, "b").Span<float>(), Own(result, "result").Span<float>());
        else Multiply(Own(a, "a").Span<double>(), Own(b, "b").Span<double>(), Own(result, "result").Span<double>());
    }

    private static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> result) where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < a.Length; i++) result[i] = a[i] * b[i];
    }

    /// <inheritdoc/>
    public void Transpose01(Tensor x, Tensor y)
    {
        var sx = Own(x, nameof(x));
        var sy = Own(y, nameof(y));
        TensorChecks.DType(y, x.DType, nameof(y));
        if (x.Shape.Rank != 3) throw new ArgumentException($"x has shape {x.Shape} but a rank-3 tensor [A, B, F] was expected");
        int d0 = x.Shape[0], d1 = x.Shape[1], f = x.Shape[2];
        TensorChecks.Shape(y, new Shape(d1, d0, f), nameof(y));
        if (ReferenceEquals(sx.Storage, sy.Storage) && d0 > 1 && d1 > 1)
            throw new ArgumentException("Transpose01 cannot run in place");
        for (var i = 0; i < d0; i++)
            for (var j = 0; j < d1; j++)
                Array.Copy(sx.Storage, sx.Offset + (i * d1 + j) * f, sy.Storage, sy.Offset + (j * d0 + i) * f, f);
    }
}
