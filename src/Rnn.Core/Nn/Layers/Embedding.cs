namespace GpuRnn.Nn;

/// <summary>
/// A lookup table of vectors, like torch.nn.Embedding: ids [N] to rows [N, E]. Initialised from
/// N(0, 1) as PyTorch does.
/// </summary>
/// <remarks>Parameter: <c>weight</c>, under the name the layer has in its model (e.g. <c>embedding.weight</c>).</remarks>
public sealed class Embedding : Module
{
    private readonly Parameter _weight;

    /// <summary>Creates the table [count, dimension] on <paramref name="backend"/>; a model that registers it names it.</summary>
    /// <param name="backend">Where the table lives.</param>
    /// <param name="count">Number of ids, V.</param>
    /// <param name="dimension">Width of a vector, E.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <param name="seed">Seed of the initial values.</param>
    public Embedding(IBackend backend, int count, int dimension, DType dtype = DType.Float32, ulong seed = 0)
        : this(backend, count, dimension, dtype, "", seed)
    {
    }

    /// <summary>Creates the table [count, dimension] named <paramref name="name"/> on <paramref name="backend"/>.</summary>
    /// <param name="backend">Where the table lives.</param>
    /// <param name="count">Number of ids, V.</param>
    /// <param name="dimension">Width of a vector, E.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <param name="name">The module's name: the parameter is <c>{name}.weight</c> (a model registers the layer under this name).</param>
    /// <param name="seed">Seed of the initial values.</param>
    public Embedding(IBackend backend, int count, int dimension, DType dtype, string name, ulong seed) : base(name)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (count <= 0) throw new ArgumentException($"embedding count must be positive, got {count}");
        if (dimension <= 0) throw new ArgumentException($"embedding size must be positive, got {dimension}");
        Backend = backend;
        Count = count;
        Dimension = dimension;
        _weight = RegisterParameter("weight", backend.Allocate(new Shape(count, dimension), dtype), backend.Allocate(new Shape(count, dimension), dtype));
        ResetParameters(seed);
    }

    /// <summary>The backend that holds the table.</summary>
    public IBackend Backend { get; }

    /// <summary>Number of ids, V.</summary>
    public int Count { get; }

    /// <summary>Width of a vector, E.</summary>
    public int Dimension { get; }

    /// <summary>The table [V, E] and its gradient, under its full name.</summary>
    public Parameter Weight => Qualified(_weight);

    /// <summary>Redraws the table from N(0, 1) (torch.nn.Embedding's default).</summary>
    public void ResetParameters(ulong seed) => Init.Normal(_weight.Value, 1, seed);

    /// <summary>
    /// The rows of <paramref name="ids"/> [...] as a new tensor [..., E], which the caller disposes
    /// (the modules' convention: a forward returns its outputs).
    /// </summary>
    /// <param name="ids">Ids of any shape, int32.</param>
    public Tensor Forward(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var scope = new TensorScope();
        var output = scope.Allocate(Backend, new Shape([.. ids.Shape.Dimensions, Dimension]), _weight.Value.DType);
        Forward(ids, output);
        return scope.Keep(output);
    }

    /// <summary>output[n, :] = table[ids[n], :] into a given tensor.</summary>
    /// <param name="ids">Ids [N] (any shape), int32.</param>
    /// <param name="output">Rows [N, E] (any shape of N*E elements, e.g. [T, B, E]).</param>
    public void Forward(Tensor ids, Tensor output) => Backend.EmbeddingForward(ids, _weight.Value, output);

    /// <summary>Accumulates the table's gradient: dTable[ids[n], :] += dOutput[n, :].</summary>
    public void Backward(Tensor ids, Tensor dOutput) => Backend.EmbeddingBackward(ids, dOutput, _weight.Gradient);
}
