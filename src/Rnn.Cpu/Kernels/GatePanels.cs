namespace GpuRnn.Cpu.Kernels;

/// <summary>
/// One direction's [W_ih | W_hh] packed for the fused step kernels (<see cref="LstmStep"/>,
/// <see cref="GruStep"/>). The hidden units go in blocks of U = SIMD lanes ("panels"); a panel
/// holds, for every k of the input part and then every k of the hidden part, G vectors of U
/// weights: gate 0's units, gate 1's, and so on. A kernel's accumulators for one panel then hold
/// every gate of the same U units, and the cell update runs on them before they leave registers.
/// </summary>
/// <remarks>
/// Layout: weights [panel][k in 0..I+P)[gate][unit]; per-unit vectors (biases, peepholes)
/// [panel][slot][unit]. Units past H are zero, so the last panel computes harmless zeros.
/// The arrays come from the backend's pool (pinned), so the kernels address them by pointer.
/// </remarks>
internal sealed unsafe class GatePanels : IDisposable
{
    private readonly BufferPool? _pool;
    private float[] _weights;
    private float[] _vectors;

    /// <summary>Panels of U = <paramref name="lanes"/> units for <paramref name="gates"/> gates of H units over I + P inputs, with per-unit vector slots.</summary>
    /// <param name="pool">Where the arrays come from and go back to on <see cref="Dispose"/>; null: arrays of their own (pinned), for panels kept between calls.</param>
    /// <param name="lanes">U, the SIMD lanes.</param>
    /// <param name="gates">G.</param>
    /// <param name="hidden">H.</param>
    /// <param name="inputSize">I.</param>
    /// <param name="stateSize">P (H without a projection).</param>
    /// <param name="vectorSlots">Per-unit vectors (biases, peepholes).</param>
    public GatePanels(BufferPool? pool, int lanes, int gates, int hidden, int inputSize, int stateSize, int vectorSlots)
    {
        _pool = pool;
        (Lanes, Gates, Hidden, InputSize, StateSize, VectorSlots) = (lanes, gates, hidden, inputSize, stateSize, vectorSlots);
        Panels = (hidden + lanes - 1) / lanes;
        var weights = checked((int)(Panels * PanelLength));
        var vectors = Panels * vectorSlots * lanes;
        _weights = pool is null ? GC.AllocateUninitializedArray<float>(weights, pinned: true) : pool.Rent<float>(weights);
        _vectors = pool is null ? GC.AllocateArray<float>(vectors, pinned: true) : pool.RentCleared<float>(vectors);
    }

    public int Lanes { get; }
    public int Gates { get; }
    public int Hidden { get; }
    public int InputSize { get; }
    public int StateSize { get; }
    public int VectorSlots { get; }
    public int Panels { get; }

    /// <summary>Floats per panel: (I + P) rows of G * U.</summary>
    public long PanelLength => (long)(InputSize + StateSize) * Gates * Lanes;

    /// <summary>Panel p's first weight (the input part; the hidden part follows after I rows).</summary>
    public float* Panel(int p)
    {
        fixed (float* w = _weights) return w + p * PanelLength; // pinned: the address outlives the fixed block
    }

    /// <summary>Panel p's per-unit vectors, VectorSlots of U floats.</summary>
    public float* Vectors(int p)
    {
        fixed (float* v = _vectors) return v + p * VectorSlots * Lanes;
    }

    /// <summary>Packs panels [p0, p1) from W_ih [G*H, I] and W_hh [G*H, P] (row-major, PyTorch's gate order).</summary>
    public void PackWeights(ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, int p0, int p1)
    {
        int u = Lanes, row = Gates * u, input = InputSize, state = StateSize;
        for (var p = p0; p < p1; p++)
        {
            var panel = _weights.AsSpan((int)(p * PanelLength), (int)PanelLength);
            for (var g = 0; g < Gates; g++)
            {
                for (var j = 0; j < u; j++)
                {
                    var unit = p * u + j;
                    var column = g * u + j;
                    if (unit >= Hidden)
                    {
                        for (var k = 0; k < input + state; k++) panel[k * row + column] = 0;
                        continue;
                    }
                    var source = g * Hidden + unit;
                    var ih = weightIh.Slice(source * input, input);
                    for (var k = 0; k < input; k++) panel[k * row + column] = ih[k];
                    var hh = weightHh.Slice(source * state, state);
                    var hidden = panel[(input * row)..];
                    for (var k = 0; k < state; k++) hidden[k * row + column] = hh[k];
                }
            }
        }
    }

    /// <summary>Sets vector slot <paramref name="slot"/> of every panel to a[unit] + b[unit] (either may be empty, meaning zero).</summary>
    public void SetVector(int slot, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        for (var unit = 0; unit < Hidden; unit++)
        {
            var value = (a.IsEmpty ? 0 : a[unit]) + (b.IsEmpty ? 0 : b[unit]);
            _vectors[((unit / Lanes) * VectorSlots + slot) * Lanes + unit % Lanes] = value;
        }
    }

    public void Dispose()
    {
        if (_pool is null) return; // own arrays: the collector takes them with the panels
        _pool.Return(_weights);
        _pool.Return(_vectors);
        _weights = [];
        _vectors = [];
    }
}
