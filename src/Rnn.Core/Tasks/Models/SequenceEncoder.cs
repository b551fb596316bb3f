namespace GpuRnn.Tasks;

/// <summary>
/// The front of every task model: token ids through an embedding, or numeric features as they
/// are, into a recurrent stack. It keeps what its backward needs between a training forward and
/// the backward. A <see cref="Module"/> with children <c>embedding</c> (for tokens) and <c>rnn</c>.
/// </summary>
public sealed class SequenceEncoder : Module
{
    // The ids and embedded (or uploaded) inputs of the last training forward, which its backward needs.
    private TensorScope _inputs = new();
    private Tensor? _ids;

    /// <summary>Creates the encoder.</summary>
    /// <param name="backend">Where parameters live.</param>
    /// <param name="rnn">The recurrent stack; its input size is E (tokens) or F (features).</param>
    /// <param name="vocabulary">Input tokens V for an embedding [V, E], or 0 for numeric inputs.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="seed">Seed of the initial parameters.</param>
    /// <param name="dropout">Dropout between recurrent layers in training.</param>
    /// <param name="init">How the recurrent weights start.</param>
    /// <param name="forgetBias">LSTM forget-gate bias 1.</param>
    /// <param name="name">The module's name (e.g. <c>encoder</c>), or empty to be named by the model that registers it.</param>
    public SequenceEncoder(IBackend backend, RnnSpec rnn, int vocabulary, DType dtype, ulong seed, double dropout = 0,
        RecurrentInit init = RecurrentInit.Default, bool forgetBias = false, string name = "") : base(name)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(rnn);
        Backend = backend;
        DType = dtype;
        try
        {
            if (vocabulary > 0) Embedding = RegisterModule("embedding", new Embedding(backend, vocabulary, rnn.InputSize, dtype, CounterRng.Hash(seed, 1)));
            Rnn = RegisterModule("rnn", new RnnStack(backend, rnn, dtype, CounterRng.Hash(seed, 2), dropout));
            RecurrentInitializer.Apply(Rnn, init, forgetBias, CounterRng.Hash(seed, 3));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The backend of the parameters.</summary>
    public IBackend Backend { get; }

    /// <summary>Parameter dtype.</summary>
    public DType DType { get; }

    /// <summary>The token embedding [V, E], or null for numeric inputs.</summary>
    public Embedding? Embedding { get; }

    /// <summary>The recurrent stack.</summary>
    public RnnStack Rnn { get; }

    /// <summary>
    /// Runs the stack over a padded, time-major batch of <paramref name="tokens"/> [T, B] (-1 past an
    /// end) or <paramref name="features"/> [T, B, F].
    /// </summary>
    /// <returns>y [T, B, D*H], hN and cN [L*D, B, H]; the caller disposes them.</returns>
    public RnnOutput Forward(int[]? tokens, double[]? features, int steps, int batch, SequenceLengths? lengths,
        Tensor? h0 = null, Tensor? c0 = null, bool training = false)
    {
        ThrowIfDisposed();
        ReleaseInputs();
        var shape = new Shape(steps, batch, Rnn.InputSize);
        Tensor input;
        if (Embedding is not null)
        {
            ArgumentNullException.ThrowIfNull(tokens);
            if (tokens.Length != steps * batch) throw new ArgumentException($"{tokens.Length} token ids given for [T, B] = [{steps}, {batch}]");
            _ids = _inputs.Own(tokens.ToDevice(Backend, new Shape(steps * batch)));
            input = _inputs.Allocate(Backend, shape, DType);
            Embedding.Forward(_ids, input);
        }
        else
        {
            ArgumentNullException.ThrowIfNull(features);
            if (features.LongLength != shape.ElementCount) throw new ArgumentException($"{features.LongLength} features given for [T, B, F] = {shape}");
            input = _inputs.Allocate(Backend, shape, DType);
            TensorExtensions.Upload(input, features);
        }
        try
        {
            return Rnn.Forward(input, h0, c0, lengths, training);
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
        ThrowIfDisposed();
        var grads = Rnn.Backward(dOutput, dHidden, dCell, inputGradient: Embedding is not null);
        if (Embedding is not null) Embedding.Backward(_ids!, grads.Input!);
        grads.Input?.Dispose();
        ReleaseInputs();
        return grads with { Input = null };
    }

    /// <summary>Frees the inputs kept for a backward (the parameters go with the modules).</summary>
    protected override void DisposeCore() => ReleaseInputs();

    private void ReleaseInputs()
    {
        _inputs.Dispose();
        _inputs = new TensorScope();
        _ids = null;
    }
}
