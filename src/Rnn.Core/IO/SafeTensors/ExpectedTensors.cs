using System.Globalization;

namespace GpuRnn.IO;

/// <summary>
/// The tensors a spec says a file must hold (name and shape), derived with checked arithmetic
/// and compared with the file's header before anything is allocated. This is how every reader
/// refuses metadata that claims more than the file backs (a <c>hidden_size</c> of 8000 beside the
/// tensors of a 32-unit model): the spec is only believed once the header has every tensor it
/// implies, with its shape, so what is then allocated is bounded by the file's own size.
/// </summary>
/// <remarks>
/// A shape is refused as it is derived when a dimension or its element count passes
/// <see cref="int.MaxValue"/> (what one tensor can hold), when the list would hold more tensors
/// than <c>maxTensors</c>, or when all of them together more elements than <c>maxElements</c>
/// (for a file: what its header holds), so a spec of a billion layers costs nothing to refuse.
/// Those refusals are <see cref="ArgumentException"/>s: a spec asked for on the command line is a
/// usage error; a reader turns them into a file error (see <see cref="CheckHeader"/>).
/// </remarks>
public sealed class ExpectedTensors
{
    private readonly List<KeyValuePair<string, Shape>> _tensors = [];
    private readonly long _maxTensors;
    private readonly long _maxElements;
    private readonly string _limit;
    private long _elements;

    /// <summary>An empty list that may grow to <paramref name="maxTensors"/> tensors of <paramref name="maxElements"/> elements in all.</summary>
    /// <param name="maxTensors">The most tensors the list may hold.</param>
    /// <param name="maxElements">The most elements they may have together.</param>
    /// <param name="limit">What sets the limits, for messages: <c>a model may have</c>, <c>the file holds</c>.</param>
    public ExpectedTensors(long maxTensors = 1 << 16, long maxElements = long.MaxValue, string limit = "a model may have")
    {
        ArgumentNullException.ThrowIfNull(limit);
        _maxTensors = maxTensors;
        _maxElements = maxElements;
        _limit = limit;
    }

    /// <summary>The tensors in the order added.</summary>
    public IReadOnlyList<KeyValuePair<string, Shape>> Tensors => _tensors;

    /// <summary>All their elements.</summary>
    public long ElementCount => _elements;

    /// <summary>Adds a tensor whose dimensions were computed in 64 bits; throws <see cref="ArgumentException"/> for one no tensor can have.</summary>
    public ExpectedTensors Add(string name, params ReadOnlySpan<long> dimensions)
    {
        ArgumentNullException.ThrowIfNull(name);
        var dims = new int[dimensions.Length];
        long count = 1;
        for (var i = 0; i < dimensions.Length; i++)
        {
            var d = dimensions[i];
            if (d < 0 || d > int.MaxValue || (d > 0 && count > int.MaxValue / d))
                throw new ArgumentException($"tensor '{name}' would have shape {Format(dimensions)}, more than the {int.MaxValue} elements one tensor can hold");
            dims[i] = (int)d;
            count *= d;
        }
        if (_tensors.Count >= _maxTensors)
            throw new ArgumentException($"it has more than the {_maxTensors} tensors {_limit} (at '{name}')");
        if (count > _maxElements - _elements)
            throw new ArgumentException($"it needs more than the {_maxElements} elements {_limit} (at '{name}' {Format(dimensions)})");
        _elements += count;
        _tensors.Add(new(name, new Shape(dims)));
        return this;
    }

    /// <summary>
    /// Adds every parameter of a recurrent stack, PyTorch names after <paramref name="prefix"/> (e.g.
    /// <c>rnn.</c>), in state_dict order: <c>weight_ih_l{k}</c> [G*H, I_k], <c>weight_hh_l{k}</c> [G*H, P or H],
    /// biases [G*H], <c>weight_hr_l{k}</c> [P, H], peepholes [H],
    /// layer norm gains and biases <c>layer_norm_{ih,hh}_{weight,bias}_l{k}</c> [G*H] and <c>layer_norm_cell_{weight,bias}_l{k}</c> [H].
    /// </summary>
    public ExpectedTensors AddRnn(string prefix, RnnSpec spec)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(spec);
        long h = spec.HiddenSize, state = spec.ProjSize > 0 ? spec.ProjSize : h, g = spec.GateCount * h;
        for (var k = 0; k < spec.NumLayers; k++)
        {
            long input = k == 0 ? spec.InputSize : spec.Directions * state;
            for (var d = 0; d < spec.Directions; d++)
            {
                string N(string kind) => prefix + RnnParameterNames.Name(kind, k, d);
                Add(N("weight_ih"), g, input);
                Add(N("weight_hh"), g, state);
                if (spec.Bias) { Add(N("bias_ih"), g); Add(N("bias_hh"), g); }
                if (spec.ProjSize > 0) Add(N("weight_hr"), spec.ProjSize, h);
                if (spec.Peepholes) { Add(N("weight_ci"), h); Add(N("weight_cf"), h); Add(N("weight_co"), h); }
                if (spec.LayerNorm)
                {
                    Add(N("layer_norm_ih_weight"), g); Add(N("layer_norm_ih_bias"), g);
                    Add(N("layer_norm_hh_weight"), g); Add(N("layer_norm_hh_bias"), g);
                    if (spec.Cell == RnnCellKind.Lstm) { Add(N("layer_norm_cell_weight"), h); Add(N("layer_norm_cell_bias"), h); }
                }
            }
        }
        return this;
    }

    /// <summary>
    /// Builds the list for a file with <paramref name="header"/>, as <paramref name="derive"/> says,
    /// bounded by what the header holds, and checks that the header has every tensor with its shape.
    /// </summary>
    /// <param name="header">The file's header.</param>
    /// <param name="source">The file, for messages.</param>
    /// <param name="what">What the tensors were derived from, e.g. <c>its metadata 'model' (lstm, 1 layer of 8000, ...)</c>.</param>
    /// <param name="derive">Adds the tensors the spec implies.</param>
    /// <returns>The list, every tensor present in the header with its shape.</returns>
    /// <exception cref="InvalidDataException">The spec implies a tensor the header lacks or has in another shape, or more than the file holds.</exception>
    public static ExpectedTensors CheckHeader(SafeTensorsHeader header, string source, string what, Action<ExpectedTensors> derive)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(derive);
        long total = 0;
        foreach (var t in header.Tensors) total += t.Shape.ElementCount;
        var expected = new ExpectedTensors(header.Tensors.Count, total, "the file holds");
        try
        {
            derive(expected);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {what} describes a model the file's tensors cannot hold: {e.Message}");
        }
        var byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var (name, shape) in expected.Tensors)
        {
            if (!byName.TryGetValue(name, out var found))
                throw new InvalidDataException($"{source}: {what} needs a tensor '{name}' {shape}, which the file does not have");
            if (found.Shape != shape)
                throw new InvalidDataException($"{source}: {what} needs tensor '{name}' to have shape {shape}, but the file's has shape {found.Shape}");
        }
        return expected;
    }

    private static string Format(ReadOnlySpan<long> dims)
    {
        var parts = new string[dims.Length];
        for (var i = 0; i < dims.Length; i++) parts[i] = dims[i].ToString(CultureInfo.InvariantCulture);
        return "[" + string.Join(", ", parts) + "]";
    }
}
