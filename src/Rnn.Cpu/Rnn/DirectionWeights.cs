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
    /// <summary>Layer norm gains and biases: ih and hh [G*H], cell [H] (LSTM); empty without layer norm.</summary>
    public Memory<T> LnIhWeight { get; init; }
    public Memory<T> LnIhBias { get; init; }
    public Memory<T> LnHhWeight { get; init; }
    public Memory<T> LnHhBias { get; init; }
    public Memory<T> LnCellWeight { get; init; }
    public Memory<T> LnCellBias { get; init; }

    /// <summary>
    /// The tensors behind the weights and their versions when taken for reading, so that what is
    /// computed from them (packed weights) can be kept while they stay unchanged; null for gradients.
    /// </summary>
    public WeightSnapshot? Snapshot { get; init; }

    public bool HasBias => !BiasIh.IsEmpty;

    /// <summary>The peephole weights w_ci, w_cf, w_co (LSTM; empty without peepholes).</summary>
    public void Peepholes(out Span<T> ci, out Span<T> cf, out Span<T> co)
    {
        ci = WeightCi.Span;
        cf = WeightCf.Span;
        co = WeightCo.Span;
    }

    /// <summary>
    /// The memory of one direction's tensors: weights that the call only reads (<paramref name="forReading"/>,
    /// with a <see cref="Snapshot"/>) or gradients that it writes.
    /// </summary>
    public static DirectionWeights<T> From(CpuBackend backend, RnnDirectionWeights w, bool forReading)
    {
        // Each tensor resolved once, in the order of the properties below (W_ih first, as the snapshot needs).
        CpuTensor?[] t = [.. new[] { w.WeightIh, w.WeightHh, w.BiasIh, w.BiasHh, w.WeightHr, w.WeightCi, w.WeightCf, w.WeightCo,
                w.LayerNormIhWeight, w.LayerNormIhBias, w.LayerNormHhWeight, w.LayerNormHhBias, w.LayerNormCellWeight, w.LayerNormCellBias }
            .Select(x => x is null ? null : backend.Own(x, "weight"))];
        Memory<T> Get(int i) => t[i] is not { } tensor ? Memory<T>.Empty
            : forReading ? tensor.MemoryForReading<T>() : tensor.Memory<T>();
        return new DirectionWeights<T>
        {
            Snapshot = forReading ? new WeightSnapshot(t) : null,
            WeightIh = Get(0),
            WeightHh = Get(1),
            BiasIh = Get(2),
            BiasHh = Get(3),
            WeightHr = Get(4),
            WeightCi = Get(5),
            WeightCf = Get(6),
            WeightCo = Get(7),
            LnIhWeight = Get(8),
            LnIhBias = Get(9),
            LnHhWeight = Get(10),
            LnHhBias = Get(11),
            LnCellWeight = Get(12),
            LnCellBias = Get(13),
        };
    }
}
