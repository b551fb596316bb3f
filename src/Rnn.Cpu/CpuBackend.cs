using System.Numerics;
using System.Runtime.Intrinsics;
using GpuRnn.Cpu.Rnn;

namespace GpuRnn.Cpu;

/// <summary>
/// The managed CPU backend: float32 and float64, exact reference semantics for every operation,
/// and deterministic results (fixed summation order, no dependence on thread timing).
/// Operations are grouped in partial files by family (<c>CpuBackend.Rnn.cs</c>, <c>CpuBackend.Dense.cs</c>, ...);
/// the numeric loops they call live in files named after the kernel they mirror on the GPU.
/// </summary>
public sealed partial class CpuBackend : BackendBase
{
    /// <summary>Creates the CPU backend.</summary>
    /// <param name="threads">Threads its kernels may use; 0 (the default) uses every core. Results do not depend on it.</param>
    public CpuBackend(int threads = 0)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), $"threads must be zero (all cores) or positive, got {threads}");
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
    }

    /// <summary>Threads its kernels use.</summary>
    public int Threads { get; }

    /// <summary>Scratch and reserve buffers kept from one call to the next.</summary>
    internal BufferPool Pool { get; } = new();

    /// <summary>The fused forward's packed weights, kept between inference calls while the weights are unchanged.</summary>
    internal PackedWeightCache PackedWeights { get; } = new();

    /// <inheritdoc/>
    public override string Name => "cpu";

    /// <inheritdoc/>
    public override string Description => DescribeMachine(Threads);

    internal static string DescribeMachine(int threads = 0)
    {
        var simd = Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "AVX2" : "SIMD " + Vector<float>.Count * 32 + "-bit";
        return $"CPU, {(threads == 0 ? Environment.ProcessorCount : threads)} threads, {simd}";
    }

    /// <inheritdoc/>
    public override bool Supports(DType dtype) => dtype is DType.Float32 or DType.Float64 or DType.Int32;

    /// <inheritdoc/>
    public override Tensor Allocate(Shape shape, DType dtype)
    {
        if (shape.ElementCount > int.MaxValue)
            throw new ArgumentException($"shape {shape} has {shape.ElementCount} elements; the CPU backend holds at most {int.MaxValue} per tensor");
        return new CpuTensor(this, shape, dtype);
    }

    /// <inheritdoc/>
    protected override void UploadCore<T>(ReadOnlySpan<T> source, Tensor destination) =>
        source.CopyTo(Own(destination, nameof(destination)).Span<T>());

    /// <inheritdoc/>
    protected override void DownloadCore<T>(Tensor source, Span<T> destination) =>
        Own(source, nameof(source)).MemoryForReading<T>().Span.CopyTo(destination); // a read: the tensor's version stays

    /// <inheritdoc/>
    protected override void CopyCore(Tensor source, Tensor destination)
    {
        var src = Own(source, nameof(source));
        var dst = Own(destination, nameof(destination));
        Array.Copy(src.Storage, src.Offset, dst.Storage, dst.Offset, src.Length);
    }

    /// <inheritdoc/>
    protected override void FillCore(Tensor tensor, double value)
    {
        var t = Own(tensor, nameof(tensor));
        switch (t.DType)
        {
            case DType.Float32: t.Span<float>().Fill((float)value); break;
            case DType.Float64: t.Span<double>().Fill(value); break;
            case DType.Int32: t.Span<int>().Fill(checked((int)value)); break;
        }
    }

    /// <inheritdoc/>
    public override void Synchronize() { }

    /// <inheritdoc/>
    public override void Dispose() { }

    /// <summary>
    /// The tensor as a <see cref="CpuTensor"/>. <see cref="BackendBase"/> has checked at the boundary that it
    /// is this backend's and alive, so the kernels' entry points only cast (<paramref name="name"/> names it in a failed assert).
    /// </summary>
    internal CpuTensor Own(Tensor? tensor, string name)
    {
        System.Diagnostics.Debug.Assert(tensor is not null && ReferenceEquals(tensor.Backend, this), $"{name} was not checked at the boundary");
        return (CpuTensor)tensor!;
    }

    /// <summary><see cref="Own"/> for an optional tensor.</summary>
    internal CpuTensor? OwnOptional(Tensor? tensor, string name) => tensor is null ? null : Own(tensor, name);
}
