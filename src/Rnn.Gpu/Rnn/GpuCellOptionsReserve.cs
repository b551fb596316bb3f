using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Gpu.Rnn;

/// <summary>
/// One direction's buffers of a layer with cell options; absent ones (not needed by the layer) stand in as the
/// states. A training reserve owns zeroed buffers; an evaluation forward's are carved from scratch and owned by it.
/// </summary>
internal sealed class GpuCellOptionsDirection : IDisposable
{
    private const int Count = 11;
    private readonly GpuBackend? _backend;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>?[] _owned = new MemoryBuffer1D<float, Stride1D.Dense>?[Count];
    private readonly ArrayView<float>[] _views = new ArrayView<float>[Count];
    private bool _disposed;

    /// <summary>Owned buffers, zeroed, so rows of finished sequences that the kernels skip read as zeros in the backward.</summary>
    public GpuCellOptionsDirection(GpuBackend backend, Accelerator accelerator, RnnLayerDesc layer, int steps, int batch)
    {
        _backend = backend;
        var lengths = Lengths(layer, steps, batch);
        try
        {
            for (var i = 0; i < Count; i++)
            {
                if (lengths[i] == 0) continue;
                var buffer = _owned[i] = accelerator.Allocate1D<float>(lengths[i]);
                _views[i] = buffer.View;
                backend.FillView(buffer.View, 0f);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Views into <paramref name="block"/> (at least <see cref="TotalLength"/> floats), contents undefined.</summary>
    public GpuCellOptionsDirection(ArrayView<float> block, RnnLayerDesc layer, int steps, int batch)
    {
        var lengths = Lengths(layer, steps, batch);
        long offset = 0;
        for (var i = 0; i < Count; i++)
        {
            if (lengths[i] == 0) continue;
            _views[i] = block.SubView(offset, lengths[i]);
            offset += lengths[i];
        }
    }

    /// <summary>Floats of every buffer of one direction.</summary>
    public static long TotalLength(RnnLayerDesc layer, int steps, int batch) => Lengths(layer, steps, batch).Sum();

    // InputPre, Recurrent, Stats, Gates, States, Cells, CellRaw, CellClipped, CellHat, TanhCell, Extra.
    private static long[] Lengths(RnnLayerDesc layer, int steps, int batch)
    {
        long rows = (long)steps * batch, h = layer.HiddenSize, gh = layer.GateCount * h, p = layer.StateSize;
        var lstm = layer.HasCellState;
        return
        [
            rows * gh, rows * gh, rows * 3, rows * gh, (steps + 1L) * batch * p,
            lstm ? (steps + 1L) * batch * h : 0, lstm ? rows * h : 0, lstm ? rows * h : 0,
            lstm && layer.LayerNorm ? rows * h : 0, lstm ? rows * h : 0, !lstm || layer.ProjSize > 0 ? rows * h : 0,
        ];
    }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => _disposed;

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
    private ArrayView<float> View(int i) => _views[i].IsValid ? _views[i] : _views[4];

    public void Dispose()
    {
        _disposed = true;
        for (var i = 0; i < Count; i++)
        {
            if (_owned[i] is { } b) _backend!.Free(b);
            _owned[i] = null;
            _views[i] = default;
        }
    }
}

/// <summary>
/// What a training forward of a layer with cell options keeps per direction for BPTT (see
/// <see cref="Kernels.CellOptionsViews"/> for each buffer's shape).
/// </summary>
internal sealed class GpuCellOptionsReserve(GpuBackend backend, RnnLayerDesc layer, int steps, int batch, GpuCellOptionsDirection[] directions)
    : GpuDirectionsReserve<GpuCellOptionsDirection>(backend, layer, steps, batch, directions);
