namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// One direction's parameters (or their gradients) as typed memory; absent tensors are empty.
/// Shapes as in <see cref="RnnDirectionWeights"/>: W_ih [G*H, I], W_hh [G*H, P], biases [G*H],
/// W_hr [P, H], peepholes [H].
/// </summary>
internal readonly struct DirectionWeights<T> where T : unmanaged
{
    public required Memory<T> WeightIh { get; init; }
    public required Memory<T> WeightHh { get; init; }
    public Memory<T> BiasIh { get; init; }
    public Memory<T> BiasHh { get; init; }
    public Memory<T> WeightHr { get; init; }
    public Memory<T> WeightCi { get; init; }
    public Memory<T> WeightCf { get; init; }
    public Memory<T> WeightCo { get; init; }

    public bool HasBias => !BiasIh.IsEmpty;

    public static DirectionWeights<T> From(CpuBackend backend, RnnDirectionWeights w)
    {
        Memory<T> Get(Tensor? t) => t is null ? Memory<T>.Empty : backend.Own(t, "weight").Memory<T>();
        return new DirectionWeights<T>
        {
            WeightIh = Get(w.WeightIh),
            WeightHh = Get(w.WeightHh),
            BiasIh = Get(w.BiasIh),
            BiasHh = Get(w.BiasHh),
            WeightHr = Get(w.WeightHr),
            WeightCi = Get(w.WeightCi),
            WeightCf = Get(w.WeightCf),
            WeightCo = Get(w.WeightCo),
        };
    }
}
