namespace GpuRnn.Nn;

/// <summary>
/// What a training forward keeps on the device for backpropagation through time: the gate
/// activations and states of every step, in a layout private to the backend that made it
/// (like cuDNN's reserve space). Handed back to <see cref="IBackend.RnnBackward"/> and then disposed.
/// </summary>
public abstract class RnnReserve : IDisposable
{
    /// <summary>Records which backend and layer made the reserve.</summary>
    protected RnnReserve(IBackend backend, RnnLayerDesc layer, int steps, int batch)
    {
        Backend = backend;
        Layer = layer;
        Steps = steps;
        Batch = batch;
    }

    /// <summary>The backend that made it; only that backend can use it.</summary>
    public IBackend Backend { get; }

    /// <summary>The layer it belongs to.</summary>
    public RnnLayerDesc Layer { get; }

    /// <summary>Time steps T of the forward that made it.</summary>
    public int Steps { get; }

    /// <summary>Batch size B of the forward that made it.</summary>
    public int Batch { get; }

    /// <summary>Frees the device memory.</summary>
    public abstract void Dispose();
}
