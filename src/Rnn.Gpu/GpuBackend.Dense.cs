using GpuRnn.Gpu.Kernels;
using ILGPU;

namespace GpuRnn.Gpu;

public sealed partial class GpuBackend
{
    private const int MaxGridY = ushort.MaxValue;

    /// <inheritdoc/>
    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, double alpha = 1, double beta = 0)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (a, nameof(a)), (b, nameof(b)), (c, nameof(c)));
            var (m, n, k) = GemmShape(a, transposeA, b, transposeB, c);
            GemmViews(F(a, nameof(a)), transposeA, transposeA ? m : k, F(b, nameof(b)), transposeB, transposeB ? k : n,
                F(c, nameof(c)), n, m, n, k, (float)alpha, (float)beta);
        }
    }

    /// <summary>Checks the operands of a GEMM and returns (M, N, K).</summary>
    private static (int M, int N, int K) GemmShape(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c)
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

    /// <summary>
    /// C[M, N] (row stride ldc) = alpha * op(A) * op(B) + beta * C (+ bias[N]) on raw views with
    /// leading dimensions, so column blocks of larger matrices can be operands.
    /// </summary>
    internal void GemmViews(ArrayView<float> a, bool transA, int lda, ArrayView<float> b, bool transB, int ldb,
        ArrayView<float> c, int ldc, int m, int n, int k, float alpha, float beta, ArrayView<float> bias = default)
    {
        if (m == 0 || n == 0) return;
        // Column tiles run along the grid's y axis, which CUDA caps at 65535.
        if (LaunchShapes.Blocks(n, Kernels.Gemm.TileN) > MaxGridY)
            throw new ArgumentException($"gemm output has {n} columns; backend '{Name}' multiplies at most {MaxGridY * Kernels.Gemm.TileN} per call");
        var args = new GemmArgs
        {
            A = a, B = b, C = c, Bias = bias.IsValid ? bias : c,
            M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
            TransA = transA ? 1 : 0, TransB = transB ? 1 : 0, HasBias = bias.IsValid ? 1 : 0,
            Alpha = alpha, Beta = beta,
        };
        Launch(_kernels.Get<GemmArgs>(Kernels.Gemm.Tiled),
            LaunchShapes.Grid2D(LaunchShapes.Blocks(m, Kernels.Gemm.TileM), LaunchShapes.Blocks(n, Kernels.Gemm.TileN)), args);
    }

    /// <inheritdoc/>
    public void AddBias(Tensor y, Tensor bias)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (y, nameof(y)), (bias, nameof(bias)));
            var (rows, cols) = y.Shape.AsMatrix();
            TensorChecks.Shape(bias, new Shape(cols), nameof(bias));
            var n = rows * cols;
            if (n == 0) return;
            Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, int, int>(Elementwise.AddBias), _shapes.Linear(n),
                F(y, nameof(y)), F(bias, nameof(bias)), n, cols);
        }
    }

    /// <inheritdoc/>
    public void SumRows(Tensor x, Tensor sum, double beta = 1)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (x, nameof(x)), (sum, nameof(sum)));
            var (rows, cols) = x.Shape.AsMatrix();
            TensorChecks.Shape(sum, new Shape(cols), nameof(sum));
            SumRowsView(F(x, nameof(x)), F(sum, nameof(sum)), rows, cols, (float)beta);
        }
    }

    internal void SumRowsView(ArrayView<float> x, ArrayView<float> sum, int rows, int cols, float beta)
    {
        if (cols == 0) return;
        if (rows > Reductions.RowsPerChunk)
        {
            // Two passes: chunks of rows in parallel, then the chunks in order (Reductions.SumRowChunks).
            var chunks = LaunchShapes.Blocks(rows, Reductions.RowsPerChunk);
            var partials = _scratch.Floats(ScratchSlot.ColumnPartials, (long)chunks * cols);
            Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, int, int>(Reductions.SumRowChunks),
                LaunchShapes.Grid2D(LaunchShapes.Blocks(cols, LaunchShapes.GroupSize), chunks), x, partials, rows, cols);
            x = partials;
            rows = chunks;
        }
        Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, int, int, float>(Reductions.SumRows), _shapes.Linear(cols),
            x, sum, rows, cols, beta);
    }

    /// <inheritdoc/>
    public void Axpy(double alpha, Tensor x, Tensor y)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (x, nameof(x)), (y, nameof(y)));
            TensorChecks.SameCount(x, y, nameof(x), nameof(y));
            AxpyView((float)alpha, F(x, nameof(x)), F(y, nameof(y)));
        }
    }

    internal void AxpyView(float alpha, ArrayView<float> x, ArrayView<float> y)
    {
        if (x.Length == 0) return;
        Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, float, int>(Elementwise.Axpy), _shapes.Linear(x.Length),
            x, y, alpha, (int)x.Length);
    }

    /// <inheritdoc/>
    public void Scale(Tensor x, double alpha)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (x, nameof(x)));
            var v = F(x, nameof(x));
            if (v.Length == 0) return;
            Launch(_kernels.Get<ArrayView<float>, float, int>(Elementwise.Scale), _shapes.Linear(v.Length), v, (float)alpha, (int)v.Length);
        }
    }

    /// <inheritdoc/>
    public void Multiply(Tensor a, Tensor b, Tensor result)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (a, nameof(a)), (b, nameof(b)), (result, nameof(result)));
            TensorChecks.SameCount(a, b, nameof(a), nameof(b));
            TensorChecks.SameCount(a, result, nameof(a), nameof(result));
            var n = (int)a.ElementCount;
            if (n == 0) return;
            Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(Elementwise.Multiply), _shapes.Linear(n),
                F(a, nameof(a)), F(b, nameof(b)), F(result, nameof(result)), n);
        }
    }

    /// <inheritdoc/>
    public void Transpose01(Tensor x, Tensor y)
    {
        lock (_gate)
        {
            var sx = Own(x, nameof(x));
            var sy = Own(y, nameof(y));
            TensorChecks.DType(y, x.DType, nameof(y));
            if (x.Shape.Rank != 3) throw new ArgumentException($"x has shape {x.Shape} but a rank-3 tensor [A, B, F] was expected");
            int d0 = x.Shape[0], d1 = x.Shape[1], f = x.Shape[2];
            TensorChecks.Shape(y, new Shape(d1, d0, f), nameof(y));
            if (Overlaps(sx, sy) && d0 > 1 && d1 > 1)
                throw new ArgumentException("Transpose01 cannot run in place");
            var n = d0 * d1 * f;
            if (n == 0) return;
            Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, int, int, int>(Elementwise.Transpose01), _shapes.Linear(n),
                sx.Floats, sy.Floats, d0, d1, f);
        }
    }

    private static bool Overlaps(GpuTensor a, GpuTensor b) => a.Overlaps(b);
}
