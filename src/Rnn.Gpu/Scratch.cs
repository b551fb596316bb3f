using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Gpu;

/// <summary>
/// Grow-only device buffers for a call's temporaries (input projections, gate gradients,
/// carries), so the time loop and repeated calls never allocate. Each purpose has its own slot;
/// work on one stream is ordered, so a slot can be reused by the next call as soon as it is
/// enqueued.
/// </summary>
internal sealed class Scratch(Accelerator accelerator) : IDisposable
{
    private readonly Dictionary<ScratchSlot, MemoryBuffer1D<float, Stride1D.Dense>> _floats = [];
    private MemoryBuffer1D<double, Stride1D.Dense>? _doubles;

    /// <summary>A float buffer of at least <paramref name="length"/> elements for <paramref name="slot"/> (contents undefined).</summary>
    public ArrayView<float> Floats(ScratchSlot slot, long length)
    {
        if (!_floats.TryGetValue(slot, out var buffer) || buffer.Length < length)
        {
            if (buffer is not null)
            {
                accelerator.Synchronize();
                buffer.Dispose();
            }
            buffer = accelerator.Allocate1D<float>(Math.Max(1, Math.Max(length, (buffer?.Length ?? 0) * 3 / 2)));
            _floats[slot] = buffer;
        }
        return buffer.View.SubView(0, Math.Max(1, length));
    }

    /// <summary>A double buffer of at least <paramref name="length"/> elements (contents undefined).</summary>
    public ArrayView<double> Doubles(long length)
    {
        if (_doubles is null || _doubles.Length < length)
        {
            if (_doubles is not null)
            {
                accelerator.Synchronize();
                _doubles.Dispose();
            }
            _doubles = accelerator.Allocate1D<double>(Math.Max(1, length));
        }
        return _doubles.View.SubView(0, Math.Max(1, length));
    }

    public void Dispose()
    {
        foreach (var b in _floats.Values) b.Dispose();
        _floats.Clear();
        _doubles?.Dispose();
    }
}

/// <summary>The purposes of scratch buffers; two live temporaries never share one.</summary>
internal enum ScratchSlot
{
    InputProjection,
    StateScratch,
    CellScratch,
    GatesScratch,
    ProjectionScratch,
    GateGradients,
    HiddenGateGradients,
    HiddenCarry,
    CellCarry,
    ProjectedGradients,
    RowStatistics,
    Barrier,
    Lengths,
    ColumnPartials,
    CellOptionGates,
    CellOptionHiddenGates,
    CellOptionCell,
    CellOptionCellIn,
    CellOptionProjected,
    CellOptionsEvaluation,
    LayerNormPartials,
}
