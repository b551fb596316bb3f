using GpuRnn.Gpu.Kernels;
using ILGPU;

namespace GpuRnn.Gpu;

public sealed partial class GpuBackend
{
    private const int MaxGridY = ushort.MaxValue;

    /// <inheritdoc/>
    protected override void GemmCore(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, double alpha, double beta, int m, int n, int k)
    {
        lock (_gate)
        {
            GemmViews(F(a, nameof(a)), transposeA, transposeA ? m : k, F(b, nameof(b)), transposeB, transposeB ? k : n,
                F(c, nameof(c)), n, m, n, k, (float)alpha, (float)beta);
        }
    }

    /// <summary>
    /// C[M, N] (row stride ldc) = alpha * op(A) * op(B) + beta * C (+ bias[N]) on raw views with
    /// leading dimensions, so column blocks of larger matrices can be operands. A valid
    /// <paramref name="partials"/> [M, ceil(N / 32), 3] receives each row's count, mean and M2 per
    /// column tile of the stored C (<see cref="Kernels.GemmPartials"/>).
    /// </summary>
    internal void GemmViews(ArrayView<float> a, bool transA, int lda, ArrayView<float> b, bool transB, int ldb,
        ArrayView<float> c, int ldc, int m, int n, int k, float alpha, float beta, ArrayView<float> bias = default,
        ArrayView<float> partials = default)
    {
        if (m == 0 || n == 0) return;
        // Column tiles run along the grid's y axis, which CUDA caps at 65535.
        if (LaunchShapes.Blocks(n, Kernels.Gemm.TileN) > MaxGridY)
            throw new ArgumentException($"gemm output has {n} columns; backend '{Name}' multiplies at most {MaxGridY * Kernels.Gemm.TileN} per call");
        var args = new GemmArgs
        {
            A = a, B = b, C = c, Bias = bias.IsValid ? bias : c, Partials = partials.IsValid ? partials : c,
            M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
            TransA = transA ? 1 : 0, TransB = transB ? 1 : 0, HasBias = bias.IsValid ? 1 : 0, HasPartials = partials.IsValid ? 1 : 0,
            Alpha = alpha, Beta = beta,
        };
        Launch(Kernels.Gemm.Tiled,
            LaunchShapes.Grid2D(LaunchShapes.Blocks(m, Kernels.Gemm.TileM), LaunchShapes.Blocks(n, Kernels.Gemm.TileN)), args);
    }

    /// <inheritdoc/>
    protected override void AddBiasCore(Tensor y, Tensor bias)
    {
        lock (_gate)
        {
            var (rows, cols) = y.Shape.AsMatrix();
            var n = rows * cols;
            if (n == 0) return;
            Launch(Elementwise.AddBias, _shapes.Linear(n), new AddBiasArgs { Y = F(y, nameof(y)), Bias = F(bias, nameof(bias)), N = n, Cols = cols });
        }
    }

    /// <inheritdoc/>
    protected override void SumRowsCore(Tensor x, Tensor sum, double beta)
    {
        lock (_gate)
        {
            var (rows, cols) = x.Shape.AsMatrix();
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
            Launch(Reductions.SumRowChunks, LaunchShapes.Grid2D(LaunchShapes.Blocks(cols, LaunchShapes.GroupSize), chunks),
                new SumRowsArgs { X = x, Sum = partials, Rows = rows, Cols = cols });
            x = partials;
            rows = chunks;
        }
        Launch(Reductions.SumRows, _shapes.Linear(cols), new SumRowsArgs { X = x, Sum = sum, Rows = rows, Cols = cols, Beta = beta });
    }

    /// <inheritdoc/>
    protected override void AxpyCore(double alpha, Tensor x, Tensor y)
    {
        lock (_gate)
        {
            AxpyView((float)alpha, F(x, nameof(x)), F(y, nameof(y)));
        }
    }

    internal void AxpyView(float alpha, ArrayView<float> x, ArrayView<float> y)
    {
        if (x.Length == 0) return;
        Launch(Elementwise.Axpy, _shapes.Linear(x.Length), new AxpyArgs { X = x, Y = y, Alpha = alpha, N = (int)x.Length });
    }

    /// <inheritdoc/>
    protected override void ScaleCore(Tensor x, double alpha)
    {
        lock (_gate)
        {
            var v = F(x, nameof(x));
            if (v.Length == 0) return;
            Launch(Elementwise.Scale, _shapes.Linear(v.Length), new FillArgs<float> { X = v, Value = (float)alpha, N = (int)v.Length });
        }
    }

    /// <inheritdoc/>
    protected override void MultiplyCore(Tensor a, Tensor b, Tensor result)
    {
        lock (_gate)
        {
            var n = (int)a.ElementCount;
            if (n == 0) return;
            Launch(Elementwise.Multiply, _shapes.Linear(n),
                new MultiplyArgs { A = F(a, nameof(a)), B = F(b, nameof(b)), Result = F(result, nameof(result)), N = n });
        }
    }

    /// <inheritdoc/>
    protected override void Transpose01Core(Tensor x, Tensor y)
    {
        lock (_gate)
        {
            var sx = Own(x, nameof(x));
            var sy = Own(y, nameof(y));
            int d0 = x.Shape[0], d1 = x.Shape[1], f = x.Shape[2];
            if (Overlaps(sx, sy) && d0 > 1 && d1 > 1)
                throw new ArgumentException("Transpose01 cannot run in place");
            var n = d0 * d1 * f;
            if (n == 0) return;
            Launch(Elementwise.Transpose01, _shapes.Linear(n), new TransposeArgs { X = sx.Floats, Y = sy.Floats, D0 = d0, D1 = d1, F = f });
        }
    }

    private static bool Overlaps(GpuTensor a, GpuTensor b) => a.Overlaps(b);
}
