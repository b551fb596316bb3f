namespace GpuRnn;

/// <summary>
/// The front of every task model: token ids through an embedding, or numeric features as they
/// are, into a recurrent stack. It keeps what its backward needs between a training forward and
/// the backward.
/// </summary>
public sealed class SequenceEncoder : IDisposable
{
    private readonly List<Parameter> _parameters = [];
    private Tensor? _ids;
    private Tensor? _input;
    private bool _disposed;

    /// <summary>Creates the encoder.</summary>
    /// <param name="backend">Where parameters live.</param>
    /// <param name="rnn">The recurrent stack; its input size is E (tokens) or F (features).</param>
    /// <param name="vocabulary">Input tokens V for an embedding [V, E], or 0 for numeric inputs.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="seed">Seed of the initial parameters.</param>
    /// <param name="dropout">Dropout between recurrent layers in training.</param>
    /// <param name="init">How the recurrent weights start.</param>
    /// <param name="forgetBias">LSTM forget-gate bias 1.</param>
    /// <param name="prefix">Prefix of the parameter names (<c>""</c> or e.g. <c>encoder.</c>).</param>
    public SequenceEncoder(IBackend backend, RnnSpec rnn, int vocabulary, DType dtype, ulong seed, double dropout = 0,
        RecurrentInit init = RecurrentInit.Default, bool forgetBias = false, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(rnn);
        Backend = backend;
        DType = dtype;
        if (vocabulary > 0) Embedding = new Embedding(backend, vocabulary, rnn.InputSize, dtype, CounterRng.Hash(seed, 1));
        try
        {
            Rnn = new RnnStack(backend, rnn, dtype, CounterRng.Hash(seed, 2), dropout);
            RecurrentInitializer.Apply(Rnn, init, forgetBias, CounterRng.Hash(seed, 3));
        }
        catch
        {
            Embedding?.Dispose();
            Rnn?.Dispose();
            throw;
        }
        if (Embedding is not null) _parameters.Add(Embedding.Weight with { Name = prefix + "embedding.weight" });
        foreach (var p in Rnn.Parameters) _parameters.Add(p with { Name = prefix + "rnn." + p.Name });
    }

    /// <summary>The backend of the parameters.</summary>
    public IBackend Backend { get; }

    /// <summary>Parameter dtype.</summary>
    public DType DType { get; }

    /// <summary>The token embedding [V, E], or null for numeric inputs.</summary>
    public Embedding? Embedding { get; }

    /// <summary>The recurrent stack.</summary>
    public RnnStack Rnn { get; }

    /// <summary>Embedding and recurrent parameters, in state_dict order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>
    /// Runs the stack over a padded, time-major batch of <paramref name="tokens"/> [T, B] (-1 past an
    /// end) or <paramref name="features"/> [T, B, F].
    /// </summary>
    /// <returns>y [T, B, D*H], hN and cN [L*D, B, H]; the caller disposes them.</returns>
    public RnnOutput Forward(int[]? tokens, double[]? features, int steps, int batch, SequenceLengths? lengths,
        Tensor? h0 = null, Tensor? c0 = null, bool training = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ReleaseInputs();
        var shape = new Shape(steps, batch, Rnn.InputSize);
        if (Embedding is not null)
        {
            ArgumentNullException.ThrowIfNull(tokens);
            if (tokens.Length != steps * batch) throw new ArgumentException($"{tokens.Length} token ids given for [T, B] = [{steps}, {batch}]");
            _ids = tokens.ToDevice(Backend, new Shape(steps * batch));
            _input = Backend.Allocate(shape, DType);
            Embedding.Forward(_ids, _input);
        }
        else
        {
            ArgumentNullException.ThrowIfNull(features);
            if (features.LongLength != shape.ElementCount) throw new ArgumentException($"{features.LongLength} features given for [T, B, F] = {shape}");
            _input = Backend.Allocate(shape, DType);
            TensorExtensions.Upload(_input, features);
        }
        try
        {
            return Rnn.Forward(_input, h0, c0, lengths, training);
        }
        finally
        {
            if (!training) ReleaseInputs();
        }
    }

    /// <summary>
    /// Backpropagates through the last training forward: accumulates the stack's and the
    /// embedding's gradients and returns dh0 and dc0 (when the forward was given h0 and c0).
    /// </summary>
    /// <param name="dOutput">Gradient with respect to y [T, B, D*H].</param>
    /// <param name="dHidden">Gradient with respect to hN [L*D, B, H], or null.</param>
    /// <param name="dCell">Gradient with respect to cN [L*D, B, H], or null.</param>
    public RnnInputGradients Backward(Tensor dOutput, Tensor? dHidden = null, Tensor? dCell = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var grads = Rnn.Backward(dOutput, dHidden, dCell, inputGradient: Embedding is not null);
        if (Embedding is not null) Embedding.Backward(_ids!, grads.Input!);
        grads.Input?.Dispose();
        ReleaseInputs();
        return grads with { Input = null };
    }

    /// <summary>Frees parameters and buffers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ReleaseInputs();
        Embedding?.Dispose();
        Rnn.Dispose();
    }

    private void ReleaseInputs()
    {
        _ids?.Dispose();
        _input?.Dispose();
        _ids = null;
        _input = null;
    }
}
