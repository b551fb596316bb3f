namespace GpuRnn.Nn;

/// <summary>
/// A stack of recurrent layers with torch.nn.RNN/LSTM/GRU's semantics and parameter names:
/// multi-layer, bidirectional, optional biases, LSTM projection and peepholes, both GRU forms,
/// initial states and per-sequence lengths. Parameters and gradients live on the backend.
/// </summary>
/// <remarks>
/// Shapes: x [T, B, I]; h0 and hN [L*D, B, P]; c0 and cN [L*D, B, H]; y [T, B, D*P], where
/// D = 2 when bidirectional, P = ProjSize when set and H otherwise. Entry k*D + d of a state
/// belongs to layer k, direction d. With <see cref="Dropout"/> &gt; 0, training forwards drop
/// elements of every layer's output except the last, as PyTorch does. A <see cref="Module"/> whose
/// parameters are its own (<c>weight_ih_l0</c>, ...), as torch.nn.LSTM's.
/// </remarks>
public class RnnStack : Module
{
    private readonly RnnLayerWeights[] _weights;
    private readonly RnnLayerWeights[] _gradients;
    // The stack's own parameters under their local names, in state_dict order (the order of the initial draw).
    private readonly List<Parameter> _parameters = [];
    private TrainingState? _pending;

    /// <summary>
    /// Creates the stack with PyTorch's default initialisation: every parameter drawn from
    /// U(-1/sqrt(H), 1/sqrt(H)), here from a counter-based generator seeded by <paramref name="seed"/>.
    /// </summary>
    /// <param name="backend">Where parameters live and compute runs.</param>
    /// <param name="spec">The architecture.</param>
    /// <param name="dtype">Float32 (every backend) or Float64 (CPU).</param>
    /// <param name="seed">Seed of the initial weights.</param>
    /// <param name="dropout">Dropout probability on the outputs of every layer but the last, in training.</param>
    public RnnStack(IBackend backend, RnnSpec spec, DType dtype = DType.Float32, ulong seed = 0, double dropout = 0)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (!dtype.IsFloatingPoint() || !backend.Supports(dtype))
            throw new ArgumentException($"backend '{backend.Name}' cannot hold {dtype.DisplayName()} parameters");
        if (!(dropout >= 0 && dropout < 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), $"dropout must be in [0, 1), got {dropout}");
        Backend = backend;
        Spec = spec;
        DType = dtype;
        Dropout = dropout;
        DropoutSeed = CounterRng.Hash(seed, 0xD50);
        ZoneoutSeed = CounterRng.Hash(seed, 0x20E);
        _weights = new RnnLayerWeights[spec.NumLayers];
        _gradients = new RnnLayerWeights[spec.NumLayers];
        for (var k = 0; k < spec.NumLayers; k++)
        {
            var layer = spec.Layer(k);
            var w = new RnnDirectionWeights[layer.Directions];
            var g = new RnnDirectionWeights[layer.Directions];
            for (var d = 0; d < layer.Directions; d++)
            {
                w[d] = CreateDirection(layer, k, d, isGradient: false);
                g[d] = CreateDirection(layer, k, d, isGradient: true);
                var names = w[d].Present().ToList();
                var grads = g[d].Present().ToList();
                for (var i = 0; i < names.Count; i++)
                    _parameters.Add(RegisterParameter(RnnParameterNames.Name(names[i].Kind, k, d), names[i].Tensor, grads[i].Tensor));
            }
            _weights[k] = new RnnLayerWeights(w);
            _gradients[k] = new RnnLayerWeights(g);
        }
        ResetParameters(seed);
    }

    /// <summary>The backend that holds the parameters.</summary>
    public IBackend Backend { get; }

    /// <summary>The architecture.</summary>
    public RnnSpec Spec { get; }

    /// <summary>Parameter dtype.</summary>
    public DType DType { get; }

    /// <summary>Features per input step, I.</summary>
    public int InputSize => Spec.InputSize;

    /// <summary>Hidden units per direction, H.</summary>
    public int HiddenSize => Spec.HiddenSize;

    /// <summary>Stacked layers, L.</summary>
    public int NumLayers => Spec.NumLayers;

    /// <summary>Whether each layer also runs backwards in time.</summary>
    public bool Bidirectional => Spec.Bidirectional;

    /// <summary>LSTM projection size P, or 0.</summary>
    public int ProjSize => Spec.ProjSize;

    /// <summary>Dropout probability between layers in training.</summary>
    public double Dropout { get; }

    /// <summary>Seed of the dropout masks.</summary>
    public ulong DropoutSeed { get; set; }

    /// <summary>Counter of the dropout generator: advances by the elements masked; saved with checkpoints so a resume draws the same masks.</summary>
    public ulong DropoutCounter { get; set; }

    /// <summary>Seed of the zoneout masks.</summary>
    public ulong ZoneoutSeed { get; set; }

    /// <summary>Counter of the zoneout masks: each training forward of a layer with zoneout takes the next value (its masks' seed is Hash(ZoneoutSeed, counter)).</summary>
    public ulong ZoneoutCounter { get; set; }

    /// <inheritdoc/>
    protected override string Description => $"a {Spec}";

    /// <summary>The weights of layer <paramref name="layer"/>, one entry per direction.</summary>
    public RnnLayerWeights LayerWeights(int layer) => _weights[layer];

    /// <summary>The gradients of layer <paramref name="layer"/>, one entry per direction.</summary>
    public RnnLayerWeights LayerGradients(int layer) => _gradients[layer];

    /// <summary>
    /// Redraws every parameter from U(-1/sqrt(H), 1/sqrt(H)) with <paramref name="seed"/> (PyTorch's default scheme);
    /// layer-norm gains start at 1 and their biases at 0 (torch.nn.LayerNorm's), drawing nothing, so the other
    /// parameters get the values they would have without layer norm.
    /// </summary>
    public void ResetParameters(ulong seed)
    {
        var bound = 1.0 / Math.Sqrt(Spec.HiddenSize);
        ulong counter = 0;
        foreach (var p in _parameters)
        {
            var n = p.Value.ElementCount;
            var values = new double[n];
            if (p.Name.StartsWith("layer_norm_", StringComparison.Ordinal))
            {
                if (p.Name.Contains("_weight_", StringComparison.Ordinal)) Array.Fill(values, 1.0);
                TensorExtensions.Upload(p.Value, values);
                continue;
            }
            for (long i = 0; i < n; i++) values[i] = (2.0 * CounterRng.Uniform(seed, counter++) - 1.0) * bound;
            TensorExtensions.Upload(p.Value, values);
        }
    }

    /// <summary>
    /// Runs the stack over a padded, time-major batch.
    /// </summary>
    /// <param name="x">Input [T, B, I] (or [B, T, I] with <paramref name="batchFirst"/>).</param>
    /// <param name="h0">Initial hidden state [L*D, B, P], or null for zeros.</param>
    /// <param name="c0">LSTM initial cell state [L*D, B, H], or null for zeros.</param>
    /// <param name="lengths">Per-sequence lengths [B], or null when all have T steps.</param>
    /// <param name="training">Keep what <see cref="Backward"/> needs (and apply dropout).</param>
    /// <param name="batchFirst">x is [B, T, I] and the output is [B, T, D*P].</param>
    /// <returns>y [T, B, D*P], hN [L*D, B, P] and, for LSTM, cN [L*D, B, H]; the caller disposes them.</returns>
    public RnnOutput Forward(Tensor x, Tensor? h0 = null, Tensor? c0 = null, SequenceLengths? lengths = null,
        bool training = false, bool batchFirst = false)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(x);
        CheckInput(x, batchFirst);
        // Every temporary of the pass is the scope's: what the pass returns or leaves for the backward is taken out of it.
        using var scope = new TensorScope();
        var timeMajor = batchFirst ? scope.Own(TransposedCopy(x)) : x;
        int t = timeMajor.Shape[0], b = timeMajor.Shape[1];
        lengths?.Check(t, b);
        CheckState(h0, "h0", Spec.StateSize, b);
        if (c0 is not null && Spec.Cell != RnnCellKind.Lstm)
            throw new ArgumentException($"c0 was given but a {Spec.Cell.ToName()} has no cell state");
        CheckState(c0, "c0", Spec.HiddenSize, b);

        _pending?.Dispose();
        _pending = null;
        var state = scope.Own(training ? new TrainingState(timeMajor, h0, c0, lengths, batchFirst) : null);
        if (state is not null && batchFirst) state.Owned.Own(scope.Keep(timeMajor));
        int layers = Spec.NumLayers, dirs = Spec.Directions;
        var hN = scope.Allocate(Backend, new Shape(layers * dirs, b, Spec.StateSize), DType);
        var cN = Spec.Cell == RnnCellKind.Lstm ? scope.Allocate(Backend, new Shape(layers * dirs, b, Spec.HiddenSize), DType) : null;
        var input = timeMajor;
        Tensor? y = null;
        for (var k = 0; k < layers; k++)
        {
            var layer = Spec.Layer(k);
            // Training with zoneout draws fresh masks per call; the backward reads them with the same descriptor.
            if (training && (layer.Zoneout > 0 || layer.ZoneoutCell > 0))
                layer = layer with { ZoneoutSeed = CounterRng.Hash(ZoneoutSeed, ZoneoutCounter++) };
            state?.Layers.Add(layer);
            y = scope.Allocate(Backend, new Shape(t, b, layer.OutputSize), DType);
            var reserve = Backend.RnnForward(layer, _weights[k], input, lengths,
                h0?.Slice(k * dirs, dirs), c0?.Slice(k * dirs, dirs), y,
                hN.Slice(k * dirs, dirs), cN?.Slice(k * dirs, dirs), training);
            state?.Reserves.Add(state.Owned.Own(reserve!));
            // In inference a layer's input is freed as soon as the next layer has its output.
            if (!training && !ReferenceEquals(input, timeMajor)) scope.Free(input);
            if (training && Dropout > 0 && k < layers - 1)
            {
                var mask = state!.Owned.Own(Backend.Allocate(y.Shape, DType));
                Backend.DropoutForward(y, y, mask, Dropout, DropoutSeed, DropoutCounter);
                DropoutCounter += (ulong)y.ElementCount;
                state.Masks.Add(mask);
            }
            else state?.Masks.Add(null);
            if (k < layers - 1)
            {
                state?.LayerInputs.Add(state.Owned.Own(scope.Keep(y)));
                input = y;
                y = null;
            }
        }
        var output = y!;
        if (batchFirst)
        {
            var transposed = scope.Own(TransposedCopy(output));
            scope.Free(output);
            output = transposed;
        }
        _pending = scope.Keep(state);
        return new RnnOutput(scope.Keep(output), scope.Keep(hN), scope.Keep(cN));
    }

    /// <summary>
    /// Backpropagation through time for the last training forward: accumulates every parameter's
    /// gradient and returns the gradients of the inputs.
    /// </summary>
    /// <param name="dOutput">Gradient with respect to y: [T, B, D*P] (or [B, T, D*P] if the forward was batch-first).</param>
    /// <param name="dHidden">Gradient with respect to hN [L*D, B, P], or null.</param>
    /// <param name="dCell">Gradient with respect to cN [L*D, B, H], or null.</param>
    /// <param name="inputGradient">Whether to compute dx.</param>
    /// <returns>dx, and dh0/dc0 when the forward was given h0/c0; the caller disposes them.</returns>
    public RnnInputGradients Backward(Tensor dOutput, Tensor? dHidden = null, Tensor? dCell = null, bool inputGradient = true)
    {
        ThrowIfDisposed();
        var state = _pending ?? throw new InvalidOperationException("Backward needs a preceding Forward with training: true");
        ArgumentNullException.ThrowIfNull(dOutput);
        int layers = Spec.NumLayers, dirs = Spec.Directions;
        int t = state.Input.Shape[0], b = state.Input.Shape[1];
        var expectedDy = state.BatchFirst ? new Shape(b, t, Spec.OutputSize) : new Shape(t, b, Spec.OutputSize);
        TensorChecks.Shape(dOutput, expectedDy, "dOutput");
        CheckState(dHidden, "dHidden", Spec.StateSize, b);
        CheckState(dCell, "dCell", Spec.HiddenSize, b);
        _pending = null;

        // The training state goes with this backward whether it succeeds or not.
        using var scope = new TensorScope();
        scope.Own(state);
        var dh0 = state.H0 is not null ? scope.Allocate(Backend, state.H0.Shape, DType) : null;
        var dc0 = state.C0 is not null ? scope.Allocate(Backend, state.C0.Shape, DType) : null;
        var dy = state.BatchFirst ? scope.Own(TransposedCopy(dOutput)) : dOutput;
        Tensor? dx = null;
        for (var k = layers - 1; k >= 0; k--)
        {
            var layer = state.Layers[k];
            var input = k == 0 ? state.Input : state.LayerInputs[k - 1];
            dx = k > 0 || inputGradient ? scope.Allocate(Backend, input.Shape, DType) : null;
            Backend.RnnBackward(layer, _weights[k], _gradients[k], state.Reserves[k], input, state.Lengths,
                state.H0?.Slice(k * dirs, dirs), state.C0?.Slice(k * dirs, dirs), dy,
                dHidden?.Slice(k * dirs, dirs), dCell?.Slice(k * dirs, dirs), dx,
                dh0?.Slice(k * dirs, dirs), dc0?.Slice(k * dirs, dirs));
            if (k > 0 && state.Masks[k - 1] is { } mask) Backend.Multiply(dx!, mask, dx!);
            if (!ReferenceEquals(dy, dOutput)) scope.Free(dy);
            if (k > 0) { dy = dx!; dx = null; }
        }
        scope.Free(state);
        if (dx is not null && state.BatchFirst)
        {
            var transposed = scope.Own(TransposedCopy(dx));
            scope.Free(dx);
            dx = transposed;
        }
        return new RnnInputGradients(scope.Keep(dx), scope.Keep(dh0), scope.Keep(dc0));
    }

    /// <summary>Frees any pending training state (the parameters go with the module).</summary>
    protected override void DisposeCore()
    {
        _pending?.Dispose();
        _pending = null;
    }

    private RnnDirectionWeights CreateDirection(RnnLayerDesc layer, int k, int d, bool isGradient)
    {
        int g = layer.GateCount * layer.HiddenSize, h = layer.HiddenSize;
        Tensor New(params int[] dims) => Backend.Allocate(new Shape(dims), DType);
        return new RnnDirectionWeights(
            WeightIh: New(g, layer.InputSize),
            WeightHh: New(g, layer.StateSize),
            BiasIh: layer.Bias ? New(g) : null,
            BiasHh: layer.Bias ? New(g) : null,
            WeightHr: layer.ProjSize > 0 ? New(layer.ProjSize, h) : null,
            WeightCi: layer.Peepholes ? New(h) : null,
            WeightCf: layer.Peepholes ? New(h) : null,
            WeightCo: layer.Peepholes ? New(h) : null,
            LayerNormIhWeight: layer.LayerNorm ? New(g) : null,
            LayerNormIhBias: layer.LayerNorm ? New(g) : null,
            LayerNormHhWeight: layer.LayerNorm ? New(g) : null,
            LayerNormHhBias: layer.LayerNorm ? New(g) : null,
            LayerNormCellWeight: layer.LayerNorm && layer.HasCellState ? New(h) : null,
            LayerNormCellBias: layer.LayerNorm && layer.HasCellState ? New(h) : null);
    }

    private void CheckInput(Tensor x, bool batchFirst)
    {
        var layout = batchFirst ? "[B, T, I]" : "[T, B, I]";
        if (!ReferenceEquals(x.Backend, Backend))
            throw new ArgumentException($"x lives on backend '{x.Backend.Name}' but the model is on '{Backend.Name}'");
        if (x.DType != DType)
            throw new ArgumentException($"x is {x.DType.DisplayName()} but the model is {DType.DisplayName()}");
        RnnChecks.Sequence(x, Spec.InputSize, layout);
    }

    private void CheckState(Tensor? state, string name, int size, int batch)
    {
        if (state is null) return;
        var expected = new Shape(Spec.NumLayers * Spec.Directions, batch, size);
        if (!ReferenceEquals(state.Backend, Backend))
            throw new ArgumentException($"{name} lives on backend '{state.Backend.Name}' but the model is on '{Backend.Name}'");
        if (state.DType != DType)
            throw new ArgumentException($"{name} is {state.DType.DisplayName()} but the model is {DType.DisplayName()}");
        if (state.Shape != expected)
            throw new ArgumentException($"{name} has shape {state.Shape} but {expected} was expected ([L*D, B, {(size == Spec.HiddenSize ? "H" : "P")}])");
    }

    private Tensor TransposedCopy(Tensor x)
    {
        var result = Backend.Allocate(new Shape(x.Shape[1], x.Shape[0], x.Shape[2]), x.DType);
        Backend.Transpose01(x, result);
        return result;
    }

    /// <summary>What a training forward leaves for its backward; it owns the reserves, layer outputs, masks and a batch-first input's copy.</summary>
    private sealed class TrainingState(Tensor input, Tensor? h0, Tensor? c0, SequenceLengths? lengths, bool batchFirst) : IDisposable
    {
        public Tensor Input { get; } = input;
        public Tensor? H0 { get; } = h0;
        public Tensor? C0 { get; } = c0;
        public SequenceLengths? Lengths { get; } = lengths;
        public bool BatchFirst { get; } = batchFirst;
        public TensorScope Owned { get; } = new();
        public List<RnnReserve> Reserves { get; } = [];
        public List<RnnLayerDesc> Layers { get; } = [];
        public List<Tensor> LayerInputs { get; } = [];
        public List<Tensor?> Masks { get; } = [];

        public void Dispose()
        {
            Owned.Dispose();
            Reserves.Clear();
            Layers.Clear();
            LayerInputs.Clear();
            Masks.Clear();
        }
    }
}
