using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Gpu.Rnn;

/// <summary>
/// What a training forward keeps on the device for BPTT, per direction: the hidden states of
/// every step [T+1, B, P] (slot 0 or T is the initial state), LSTM cell states [T+1, B, H], the
/// gate activations [T, B, G'] (LSTM i, f, g, o; GRU r, z, n and W_hn h + b_hn or r h(t-1)),
/// and with a projection the unprojected outputs m [T, B, H].
/// </summary>
internal sealed class GpuRnnReserve(GpuBackend backend, RnnLayerDesc layer, int steps, int batch, GpuDirectionReserve[] directions)
    : GpuDirectionsReserve<GpuDirectionReserve>(backend, layer, steps, batch, directions);

/// <summary>One direction's reserve buffers (absent ones are null).</summary>
internal sealed class GpuDirectionReserve : IDisposable
{
    private readonly GpuBackend _backend;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>?[] _buffers;

    public GpuDirectionReserve(GpuBackend backend, Accelerator accelerator, long states, long cells, long gates, long projected)
    {
        _backend = backend;
        _buffers = [Make(accelerator, states), Make(accelerator, cells), Make(accelerator, gates), Make(accelerator, projected)];
    }

    /// <summary>True once the buffers have been freed.</summary>
    public bool IsDisposed => _buffers[0] is null;

    /// <summary>h slots [T+1, B, P].</summary>
    public ArrayView<float> States => View(0);

    /// <summary>c slots [T+1, B, H] (LSTM).</summary>
    public ArrayView<float> Cells => View(1);

    /// <summary>Gate activations [T, B, G'] (LSTM, GRU).</summary>
    public ArrayView<float> Gates => View(2);

    /// <summary>m = o tanh(c) [T, B, H] (LSTM with projection).</summary>
    public ArrayView<float> Projected => View(3);

    private ArrayView<float> View(int i) => _buffers[i] is { } b ? b.View : default;

    private static MemoryBuffer1D<float, Stride1D.Dense>? Make(Accelerator accelerator, long length) =>
        length > 0 ? accelerator.Allocate1D<float>(length) : null;

    public void Dispose()
    {
        for (var i = 0; i < _buffers.Length; i++)
        {
            if (_buffers[i] is { } b) _backend.Free(b);
            _buffers[i] = null;
        }
    }
}
