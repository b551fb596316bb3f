namespace GpuRnn.Nn;

/// <summary>
/// Parameter initialisers. Values are drawn on the host from seeded counter-based streams (so
/// every backend gets the same numbers) and uploaded.
/// </summary>
public static class Init
{
    /// <summary>Every element from U(-bound, bound).</summary>
    public static void Uniform(Tensor tensor, double bound, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var rng = new RandomStream(seed);
        var values = new double[tensor.ElementCount];
        for (var i = 0; i < values.Length; i++) values[i] = (2 * rng.NextDouble() - 1) * bound;
        TensorExtensions.Upload(tensor, values);
    }

    /// <summary>Every element from N(0, std^2).</summary>
    public static void Normal(Tensor tensor, double std, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var rng = new RandomStream(seed);
        var values = new double[tensor.ElementCount];
        for (var i = 0; i < values.Length; i++) values[i] = rng.NextNormal() * std;
        TensorExtensions.Upload(tensor, values);
    }

    /// <summary>
    /// A random orthogonal matrix [rows, cols], as torch.nn.init.orthogonal_: Q of the QR
    /// decomposition of a Gaussian matrix with R's diagonal made positive. When rows &lt;= cols
    /// the rows are orthonormal (W W^T = I), otherwise the columns (W^T W = I).
    /// </summary>
    public static double[] OrthogonalMatrix(int rows, int cols, ulong seed, double gain = 1)
    {
        if (rows <= 0 || cols <= 0) throw new ArgumentOutOfRangeException(nameof(rows), $"an orthogonal matrix needs positive sizes, got [{rows}, {cols}]");
        // Work on the tall orientation [m, n], m >= n, and orthonormalise its columns.
        var transpose = rows < cols;
        int m = transpose ? cols : rows, n = transpose ? rows : cols;
        var rng = new RandomStream(seed);
        var a = new double[m * n];
        for (var i = 0; i < a.Length; i++) a[i] = rng.NextNormal();
        // Modified Gram-Schmidt: column j minus its projections on the earlier ones, then normalised;
        // this is the Q of a QR with a positive diagonal, the unique one PyTorch's sign fix yields.
        for (var j = 0; j < n; j++)
        {
            for (var k = 0; k < j; k++)
            {
                var dot = 0.0;
                for (var i = 0; i < m; i++) dot += a[i * n + k] * a[i * n + j];
                for (var i = 0; i < m; i++) a[i * n + j] -= dot * a[i * n + k];
            }
            var norm = 0.0;
            for (var i = 0; i < m; i++) norm += a[i * n + j] * a[i * n + j];
            norm = Math.Sqrt(norm);
            for (var i = 0; i < m; i++) a[i * n + j] /= norm;
        }
        var result = new double[rows * cols];
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                var v = a[i * n + j] * gain;
                if (transpose) result[j * cols + i] = v;
                else result[i * cols + j] = v;
            }
        return result;
    }
}
