namespace GpuRnn;

/// <summary>
/// An affine map y = x W^T + b, like torch.nn.Linear: weight [O, I], bias [O], initialised
/// from U(-1/sqrt(I), 1/sqrt(I)) as PyTorch's default.
/// </summary>
public sealed class Linear : IDisposable
{
    /// <summary>Creates the layer on <paramref name="backend"/>.</summary>
    /// <param name="backend">Where the parameters live.</param>
    /// <param name="inputSize">Input features, I.</param>
    /// <param name="outputSize">Output features, O.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <param name="prefix">Parameter name prefix: parameters are <c>{prefix}.weight</c> and <c>{prefix}.bias</c>.</param>
    /// <param name="seed">Seed of the initial values.</param>
    public Linear(IBackend backend, int inputSize, int outputSize, DType dtype, string prefix, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (inputSize <= 0) throw new ArgumentException($"linear input size must be positive, got {inputSize}");
        if (outputSize <= 0) throw new ArgumentException($"linear output size must be positive, got {outputSize}");
        Backend = backend;
        InputSize = inputSize;
        OutputSize = outputSize;
        Tensor New(params int[] dims) => backend.Allocate(new Shape(dims), dtype);
        Weight = new Parameter(prefix + ".weight", New(outputSize, inputSize), New(outputSize, inputSize));
        Bias = new Parameter(prefix + ".bias", New(outputSize), New(outputSize));
        ResetParameters(seed);
    }

    /// <summary>The backend that holds the parameters.</summary>
    public IBackend Backend { get; }

    /// <summary>Input features, I.</summary>
    public int InputSize { get; }

    /// <summary>Output features, O.</summary>
    public int OutputSize { get; }

    /// <summary>Weight [O, I] and its gradient.</summary>
    public Parameter Weight { get; }

    /// <summary>Bias [O] and its gradient.</summary>
    public Parameter Bias { get; }

    /// <summary>Redraws weight and bias from U(-1/sqrt(I), 1/sqrt(I)).</summary>
    public void ResetParameters(ulong seed)
    {
        var bound = 1 / Math.Sqrt(InputSize);
        Init.Uniform(Weight.Value, bound, CounterRng.Hash(seed, 0));
        Init.Uniform(Bias.Value, bound, CounterRng.Hash(seed, 1));
    }

    /// <summary>y [N, O] = x [N, I] W^T + b (leading dimensions of x and y are folded into N).</summary>
    public void Forward(Tensor x, Tensor y)
    {
        Backend.Gemm(x, false, Weight.Value, true, y);
        Backend.AddBias(y, Bias.Value);
    }

    /// <summary>
    /// Accumulates dW += dy^T x and db += the sum of dy's rows, and writes dx = dy W when asked.
    /// </summary>
    /// <param name="x">The forward's input [N, I].</param>
    /// <param name="dy">Gradient with respect to y [N, O].</param>
    /// <param name="dx">Receives the gradient with respect to x [N, I], or null.</param>
    public void Backward(Tensor x, Tensor dy, Tensor? dx)
    {
        Backend.Gemm(dy, true, x, false, Weight.Gradient, beta: 1);
        Backend.SumRows(dy, Bias.Gradient, beta: 1);
        if (dx is not null) Backend.Gemm(dy, false, Weight.Value, false, dx);
    }

    /// <summary>Frees the parameters and gradients.</summary>
    public void Dispose()
    {
        Weight.Value.Dispose();
        Weight.Gradient.Dispose();
        Bias.Value.Dispose();
        Bias.Gradient.Dispose();
    }
}
