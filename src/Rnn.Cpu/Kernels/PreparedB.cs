using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// A B operand prepared once for many products with it, such as the recurrent weights that every
/// time step multiplies: float32 keeps it packed for <see cref="PackedGemm"/>; float64 (and
/// machines without FMA) read it in place.
/// </summary>
internal sealed class PreparedB<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly BufferPool _pool;
    private readonly ReadOnlyMemory<T> _b;
    private readonly int _ldb;
    private readonly bool _transB;
    private readonly PackedMatrix? _packed;

    /// <summary>Prepares op(B) [K, N] from B [K, N] (ldb) or, transposed, B [N, K] (ldb); a packed copy comes from the pool.</summary>
    public PreparedB(BufferPool pool, ReadOnlyMemory<T> b, int ldb, bool transB, int k, int n)
    {
        (_pool, _b, _ldb, _transB, Depth, Columns) = (pool, b, ldb, transB, k, n);
        if (typeof(T) == typeof(float) && PackedGemm.IsSupported)
            _packed = PackedMatrix.Pack(pool, MemoryMarshal.Cast<T, float>(b.Span), ldb, transB, k, n);
    }

    /// <summary>Gives the packed copy back to the pool.</summary>
    public void Dispose() => _packed?.Return(_pool);

    /// <summary>K.</summary>
    public int Depth { get; }

    /// <summary>N.</summary>
    public int Columns { get; }

    /// <summary>C[M, N] = alpha * op(A) * op(B) + beta * C.</summary>
    public void Multiply(ReadOnlySpan<T> a, int lda, bool transA, Span<T> c, int ldc, int m, T alpha, T beta)
    {
        if (_packed is not null && m >= 4 && m * (long)Columns * Depth >= 1L << 12)
        {
            PackedGemm.Run(MemoryMarshal.Cast<T, float>(a), lda, transA, _packed, MemoryMarshal.Cast<T, float>(c), ldc, m,
                Unsafe.As<T, float>(ref alpha), Unsafe.As<T, float>(ref beta));
            return;
        }
        Gemm.RunUnpacked(a, lda, transA, _b.Span, _ldb, _transB, c, ldc, m, Columns, Depth, alpha, beta);
    }

    /// <summary>C[M, N] = op(A) * op(B) + beta * C with A's rows contiguous ([M, K], lda = K).</summary>
    public void Multiply(ReadOnlySpan<T> a, Span<T> c, int m, T beta) => Multiply(a, Depth, false, c, Columns, m, T.One, beta);
}
