namespace GpuRnn.Gpu.Rnn;

/// <summary>
/// A GPU training reserve made of one buffer set per direction (Directions[d], d = 0 forward, 1 reverse),
/// freed together: the shared shape of <see cref="GpuRnnReserve"/> and <see cref="GpuCellOptionsReserve"/>.
/// </summary>
internal abstract class GpuDirectionsReserve<TDirection>(GpuBackend backend, RnnLayerDesc layer, int steps, int batch, TDirection[] directions)
    : RnnReserve(backend, layer, steps, batch)
    where TDirection : IDisposable
{
    public TDirection[] Directions { get; } = directions;

    public override void Dispose()
    {
        foreach (var d in Directions) d.Dispose();
    }
}
