namespace GpuRnn.Nn;

/// <summary>
/// The checks every backend makes at the start of <see cref="IBackend.RnnForward"/> and
/// <see cref="IBackend.RnnBackward"/>: shapes, dtypes, owners and lengths, with messages that
/// name the expected and the actual value.
/// </summary>
internal static class RnnChecks
{
    /// <summary>Checks a forward call; returns (T, B, dtype).</summary>
    public static (int Steps, int Batch, DType DType) Forward(IBackend backend, RnnLayerDesc layer, RnnLayerWeights weights,
        Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN)
    {
        var (t, b) = Input(layer, x, lengths);
        var dtype = TensorChecks.Floats(backend, (x, "x"), (h0, "h0"), (c0, "c0"), (y, "y"), (hN, "hN"), (cN, "cN"));
        Weights(backend, layer, weights, "weights", dtype);
        States(layer, b, h0, c0, "h0", "c0");
        TensorChecks.Shape(y, new Shape(t, b, layer.OutputSize), "y");
        TensorChecks.Shape(hN, new Shape(layer.Directions, b, layer.StateSize), "hN");
        if (layer.HasCellState)
        {
            if (cN is null) throw new ArgumentException("cN is required for an lstm layer");
            TensorChecks.Shape(cN, new Shape(layer.Directions, b, layer.HiddenSize), "cN");
        }
        else if (cN is not null)
            throw new ArgumentException($"cN was given but a {layer.Cell.ToName()} layer has no cell state");
        return (t, b, dtype);
    }

    /// <summary>Checks a backward call against its reserve; returns (T, B, dtype).</summary>
    public static (int Steps, int Batch, DType DType) Backward(IBackend backend, RnnLayerDesc layer, RnnLayerWeights weights,
        RnnLayerWeights gradients, RnnReserve reserve, Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0,
        Tensor dy, Tensor? dhN, Tensor? dcN, Tensor? dx, Tensor? dh0, Tensor? dc0)
    {
        ArgumentNullException.ThrowIfNull(reserve);
        if (!ReferenceEquals(reserve.Backend, backend))
            throw new ArgumentException($"the reserve was made by backend '{reserve.Backend.Name}', not '{backend.Name}'");
        if (reserve.Layer != layer)
            throw new ArgumentException("the reserve was made for another layer descriptor");
        var (t, b) = Input(layer, x, lengths);
        if (reserve.Steps != t || reserve.Batch != b)
            throw new ArgumentException($"the reserve holds {reserve.Steps} steps of batch {reserve.Batch} but x is {x.Shape}");
        var dtype = TensorChecks.Floats(backend, (x, "x"), (h0, "h0"), (c0, "c0"), (dy, "dy"), (dhN, "dhN"), (dcN, "dcN"),
            (dx, "dx"), (dh0, "dh0"), (dc0, "dc0"));
        Weights(backend, layer, weights, "weights", dtype);
        Weights(backend, layer, gradients, "gradients", dtype);
        States(layer, b, h0, c0, "h0", "c0");
        States(layer, b, dhN, dcN, "dhN", "dcN");
        States(layer, b, dh0, dc0, "dh0", "dc0");
        TensorChecks.Shape(dy, new Shape(t, b, layer.OutputSize), "dy");
        if (dx is not null) TensorChecks.Shape(dx, x.Shape, "dx");
        return (t, b, dtype);
    }

    private static (int T, int B) Input(RnnLayerDesc layer, Tensor x, SequenceLengths? lengths)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (layer.Directions is not (1 or 2))
            throw new ArgumentException($"a layer has 1 or 2 directions, not {layer.Directions}");
        Sequence(x, layer.InputSize, $"[T, B, {layer.InputSize}]");
        int t = x.Shape[0], b = x.Shape[1];
        lengths?.Check(t, b);
        return (t, b);
    }

    /// <summary>
    /// Checks a sequence input: rank 3 in <paramref name="layout"/>, last axis
    /// <paramref name="inputSize"/>, at least one step and one sequence. The one place these
    /// messages are written: the stack (which may take x batch-first) and the backend share it.
    /// </summary>
    public static void Sequence(Tensor x, int inputSize, string layout)
    {
        if (x.Shape.Rank != 3)
            throw new ArgumentException($"x has shape {x.Shape} but a rank-3 tensor {layout} was expected");
        if (x.Shape[2] != inputSize)
            throw new ArgumentException($"input size {x.Shape[2]} does not match the layer's input size {inputSize}");
        if (x.Shape[0] == 0 || x.Shape[1] == 0)
            throw new ArgumentException($"x has shape {x.Shape}; it needs at least one step and one sequence");
    }

    private static void States(RnnLayerDesc layer, int batch, Tensor? h, Tensor? c, string hName, string cName)
    {
        if (h is not null) TensorChecks.Shape(h, new Shape(layer.Directions, batch, layer.StateSize), hName);
        if (c is null) return;
        if (!layer.HasCellState) throw new ArgumentException($"{cName} was given but a {layer.Cell.ToName()} layer has no cell state");
        TensorChecks.Shape(c, new Shape(layer.Directions, batch, layer.HiddenSize), cName);
    }

    /// <summary>Checks that <paramref name="weights"/> has one entry per direction with PyTorch's shapes.</summary>
    public static void Weights(IBackend backend, RnnLayerDesc layer, RnnLayerWeights weights, string what, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(weights, what);
        if (weights.Directions.Count != layer.Directions)
            throw new ArgumentException($"{what} has {weights.Directions.Count} directions but the layer has {layer.Directions}");
        int gh = layer.GateCount * layer.HiddenSize, h = layer.HiddenSize;
        for (var d = 0; d < layer.Directions; d++)
        {
            var w = weights.Directions[d];
            var where = $"{what} (direction {d})";
            Param(backend, w.WeightIh, new Shape(gh, layer.InputSize), $"weight_ih {where}", dtype);
            Param(backend, w.WeightHh, new Shape(gh, layer.StateSize), $"weight_hh {where}", dtype);
            Optional(backend, w.BiasIh, layer.Bias, new Shape(gh), $"bias_ih {where}", dtype);
            Optional(backend, w.BiasHh, layer.Bias, new Shape(gh), $"bias_hh {where}", dtype);
            Optional(backend, w.WeightHr, layer.ProjSize > 0, new Shape(layer.ProjSize, h), $"weight_hr {where}", dtype);
            Optional(backend, w.WeightCi, layer.Peepholes, new Shape(h), $"weight_ci {where}", dtype);
            Optional(backend, w.WeightCf, layer.Peepholes, new Shape(h), $"weight_cf {where}", dtype);
            Optional(backend, w.WeightCo, layer.Peepholes, new Shape(h), $"weight_co {where}", dtype);
            Optional(backend, w.LayerNormIhWeight, layer.LayerNorm, new Shape(gh), $"layer_norm_ih_weight {where}", dtype);
            Optional(backend, w.LayerNormIhBias, layer.LayerNorm, new Shape(gh), $"layer_norm_ih_bias {where}", dtype);
            Optional(backend, w.LayerNormHhWeight, layer.LayerNorm, new Shape(gh), $"layer_norm_hh_weight {where}", dtype);
            Optional(backend, w.LayerNormHhBias, layer.LayerNorm, new Shape(gh), $"layer_norm_hh_bias {where}", dtype);
            var cellNorm = layer.LayerNorm && layer.HasCellState;
            Optional(backend, w.LayerNormCellWeight, cellNorm, new Shape(h), $"layer_norm_cell_weight {where}", dtype);
            Optional(backend, w.LayerNormCellBias, cellNorm, new Shape(h), $"layer_norm_cell_bias {where}", dtype);
        }
    }

    private static void Param(IBackend backend, Tensor t, Shape shape, string name, DType dtype)
    {
        TensorChecks.Owned(t, backend, name);
        TensorChecks.DType(t, dtype, name);
        TensorChecks.Shape(t, shape, name);
    }

    private static void Optional(IBackend backend, Tensor? t, bool required, Shape shape, string name, DType dtype)
    {
        if (required && t is null) throw new ArgumentException($"{name} is missing (expected shape {shape})");
        if (!required && t is not null) throw new ArgumentException($"{name} was given but the layer does not have it");
        if (t is not null) Param(backend, t, shape, name, dtype);
    }
}
