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

    /// <summary>
    /// The tensors behind the weights and their versions when taken for reading, so that what is
    /// computed from them (packed weights) can be kept while they stay unchanged; null for gradients.
    /// </summary>
    public WeightSnapshot? Snapshot { get; init; }

    public bool HasBias => !BiasIh.IsEmpty;

    /// <summary>
    /// The memory of one direction's tensors: weights that the call only reads (<paramref name="forReading"/>,
    /// with a <see cref="Snapshot"/>) or gradients that it writes.
    /// </summary>
    public static DirectionWeights<T> From(CpuBackend backend, RnnDirectionWeights w, bool forReading)
    {
        Memory<T> Get(Tensor? t)
        {
            if (t is null) return Memory<T>.Empty;
            var tensor = backend.Own(t, "weight");
            return forReading ? tensor.MemoryForReading<T>() : tensor.Memory<T>();
        }
        CpuTensor? Tensor(Tensor? t) => t is null ? null : backend.Own(t, "weight");
        return new DirectionWeights<T>
        {
            Snapshot = forReading
                ? new WeightSnapshot([Tensor(w.WeightIh), Tensor(w.WeightHh), Tensor(w.BiasIh), Tensor(w.BiasHh),
                    Tensor(w.WeightHr), Tensor(w.WeightCi), Tensor(w.WeightCf), Tensor(w.WeightCo)])
                : null,
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
