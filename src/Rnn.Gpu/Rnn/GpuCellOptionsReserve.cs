using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Gpu.Rnn;

/// <summary>
/// What a forward of a layer with cell options keeps per direction (see <see cref="Kernels.CellOptionsViews"/>
/// for each buffer's shape). The evaluation forward uses the same buffers and frees them when done;
/// every buffer starts zeroed, so rows of finished sequences that the kernels skip read as zeros.
/// </summary>
internal sealed class GpuCellOptionsReserve(GpuBackend backend, RnnLayerDesc layer, int steps, int batch, GpuCellOptionsDirection[] directions)
    : RnnReserve(backend, layer, steps, batch)
{
    public GpuCellOptionsDirection[] Directions { get; } = directions;

    public override void Dispose()
    {
        foreach (var d in Directions) d.Dispose();
    }
}

/// <summary>One direction's buffers of a layer with cell options; absent ones (not needed by the layer) are empty.</summary>
internal sealed class GpuCellOptionsDirection : IDisposable
{
    private readonly GpuBackend _backend;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>?[] _buffers;

    public GpuCellOptionsDirection(GpuBackend backend, Accelerator accelerator, RnnLayerDesc layer, int steps, int batch)
    {
        _backend = backend;
        long rows = (long)steps * batch, h = layer.HiddenSize, gh = layer.GateCount * h, p = layer.StateSize;
        var lstm = layer.HasCellState;
        long[] lengths =
        [
            rows * gh, rows * gh, rows * 3, rows * gh, (steps + 1L) * batch * p,
            lstm ? (steps + 1L) * batch * h : 0, lstm ? rows * h : 0, lstm ? rows * h : 0,
            lstm && layer.LayerNorm ? rows * h : 0, lstm ? rows * h : 0, !lstm || layer.ProjSize > 0 ? rows * h : 0,
        ];
        _buffers = new MemoryBuffer1D<float, Stride1D.Dense>?[lengths.Length];
        try
        {
            for (var i = 0; i < lengths.Length; i++)
            {
                if (lengths[i] == 0) continue;
                var buffer = _buffers[i] = accelerator.Allocate1D<float>(lengths[i]);
                backend.FillView(buffer.View, 0f);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>True once the buffers have been freed.</summary>
    public bool IsDisposed => _buffers[0] is null;

    public ArrayView<float> InputPre => View(0);
    public ArrayView<float> Recurrent => View(1);
    public ArrayView<float> Stats => View(2);
    public ArrayView<float> Gates => View(3);
    public ArrayView<float> States => View(4);
    public ArrayView<float> Cells => View(5);
    public ArrayView<float> CellRaw => View(6);
    public ArrayView<float> CellClipped => View(7);
    public ArrayView<float> CellHat => View(8);
    public ArrayView<float> TanhCell => View(9);
    public ArrayView<float> Extra => View(10);

    // An absent buffer is passed as the states (always present), which the kernels then never read.
    private ArrayView<float> View(int i) => _buffers[i] is { } b ? b.View : _buffers[4]!.View;

    public void Dispose()
    {
        for (var i = 0; i < _buffers.Length; i++)
        {
            if (_buffers[i] is { } b) _backend.Free(b);
            _buffers[i] = null;
        }
    }
}
