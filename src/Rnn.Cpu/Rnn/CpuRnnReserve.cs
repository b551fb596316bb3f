namespace GpuRnn.Cpu.Rnn;

/// <summary>The CPU backend's reserve: one <see cref="DirectionState{T}"/> per direction, in pooled managed memory.</summary>
internal sealed class CpuRnnReserve<T>(CpuBackend backend, RnnLayerDesc layer, int steps, int batch, DirectionState<T>[] directions)
    : RnnReserve(backend, layer, steps, batch) where T : unmanaged
{
    public DirectionState<T>[] Directions { get; } = directions;

    /// <summary>Gives the buffers back to the backend's pool for the next forward.</summary>
    public override void Dispose()
    {
        foreach (var direction in Directions) direction.Dispose();
    }
}
