namespace GpuRnn.Nn;

/// <summary>
/// An affine map y = x W^T + b, like torch.nn.Linear: weight [O, I], bias [O], initialised
/// from U(-1/sqrt(I), 1/sqrt(I)) as PyTorch's default.
/// </summary>
/// <remarks>Parameters: <c>weight</c> and <c>bias</c>, under the name the layer has in its model (e.g. <c>decoder.weight</c>).</remarks>
public sealed class Linear : Module
{
    private readonly Parameter _weight;
    private readonly Parameter _bias;

    /// <summary>Creates the layer on <paramref name="backend"/>; a model that registers it names it.</summary>
    /// <param name="backend">Where the parameters live.</param>
    /// <param name="inputSize">Input features, I.</param>
    /// <param name="outputSize">Output features, O.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <param name="seed">Seed of the initial values.</param>
    public Linear(IBackend backend, int inputSize, int outputSize, DType dtype = DType.Float32, ulong seed = 0)
        : this(backend, inputSize, outputSize, dtype, "", seed)
    {
    }

    /// <summary>Creates the layer named <paramref name="name"/> on <paramref name="backend"/>.</summary>
    /// <param name="backend">Where the parameters live.</param>
    /// <param name="inputSize">Input features, I.</param>
    /// <param name="outputSize">Output features, O.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <param name="name">The module's name: parameters are <c>{name}.weight</c> and <c>{name}.bias</c> (a model registers the layer under this name).</param>
    /// <param name="seed">Seed of the initial values.</param>
    public Linear(IBackend backend, int inputSize, int outputSize, DType dtype, string name, ulong seed) : base(name)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (inputSize <= 0) throw new ArgumentException($"linear input size must be positive, got {inputSize}");
        if (outputSize <= 0) throw new ArgumentException($"linear output size must be positive, got {outputSize}");
        Backend = backend;
        InputSize = inputSize;
        OutputSize = outputSize;
        Tensor New(params int[] dims) => backend.Allocate(new Shape(dims), dtype);
        _weight = RegisterParameter("weight", New(outputSize, inputSize), New(outputSize, inputSize));
        _bias = RegisterParameter("bias", New(outputSize), New(outputSize));
        ResetParameters(seed);
    }

    /// <summary>The backend that holds the parameters.</summary>
    public IBackend Backend { get; }

    /// <summary>Input features, I.</summary>
    public int InputSize { get; }

    /// <summary>Output features, O.</summary>
    public int OutputSize { get; }

    /// <summary>Weight [O, I] and its gradient, under its full name.</summary>
    public Parameter Weight => Qualified(_weight);

    /// <summary>Bias [O] and its gradient, under its full name.</summary>
    public Parameter Bias => Qualified(_bias);

    /// <summary>Redraws weight and bias from U(-1/sqrt(I), 1/sqrt(I)).</summary>
    public void ResetParameters(ulong seed)
    {
        var bound = 1 / Math.Sqrt(InputSize);
        Init.Uniform(_weight.Value, bound, CounterRng.Hash(seed, 0));
        Init.Uniform(_bias.Value, bound, CounterRng.Hash(seed, 1));
    }

    /// <summary>
    /// y [..., O] = x [..., I] W^T + b as a new tensor, which the caller disposes (the modules'
    /// convention: a forward returns its outputs).
    /// </summary>
    /// <param name="x">Input [..., I]: any leading dimensions, the last is I.</param>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Shape.Rank == 0 || x.Shape[x.Shape.Rank - 1] != InputSize)
            throw new ArgumentException($"x has shape {x.Shape} but its last dimension must be the input size {InputSize}");
        var dims = x.Shape.Dimensions.ToArray();
        dims[^1] = OutputSize;
        using var scope = new TensorScope();
        var y = scope.Allocate(Backend, new Shape(dims), x.DType);
        Forward(x, y);
        return scope.Keep(y);
    }

    /// <summary>y [N, O] = x [N, I] W^T + b into a given tensor (leading dimensions of x and y are folded into N).</summary>
    public void Forward(Tensor x, Tensor y)
    {
        Backend.Gemm(x, false, _weight.Value, true, y);
        Backend.AddBias(y, _bias.Value);
    }

    /// <summary>
    /// Accumulates dW += dy^T x and db += the sum of dy's rows, and writes dx = dy W when asked.
    /// </summary>
    /// <param name="x">The forward's input [N, I].</param>
    /// <param name="dy">Gradient with respect to y [N, O].</param>
    /// <param name="dx">Receives the gradient with respect to x [N, I], or null.</param>
    public void Backward(Tensor x, Tensor dy, Tensor? dx)
    {
        Backend.Gemm(dy, true, x, false, _weight.Gradient, beta: 1);
        Backend.SumRows(dy, _bias.Gradient, beta: 1);
        if (dx is not null) Backend.Gemm(dy, false, _weight.Value, false, dx);
    }
}
