namespace GpuRnn.Tasks;

/// <summary>
/// The reading side shared by the task models that put one recurrent stack over their input and a
/// head on its outputs (<see cref="SequenceClassifier"/>, <see cref="SequenceTagger"/>): an
/// embedding for token inputs (none for numeric features) and the stack, registered without a name
/// so that their parameters are <c>embedding.*</c> and <c>rnn.*</c>, as PyTorch would name them.
/// </summary>
public abstract class EncoderModel : TaskModel
{
    /// <summary>
    /// Checks that the spec's task is of <paramref name="family"/> (<paramref name="model"/> names this
    /// model in the message) and registers the encoder; the subclass registers its head next.
    /// </summary>
    protected EncoderModel(IBackend backend, TaskSpec spec, DType dtype, ulong seed, TaskModelFamily family, string model) : base(backend, spec, dtype, seed)
    {
        if (TaskRegistry.Get(spec.Task).Family != family)
            throw new ArgumentException($"a {model} serves {TaskRegistry.NamesOf(family)}, not {spec.Task.ToName()}");
        try
        {
            Encoder = RegisterModule("", new SequenceEncoder(backend, spec.Rnn, spec.InputVocabulary?.Count ?? 0, dtype, seed, spec.Dropout, spec.RecurrentInit, spec.ForgetBias));
        }
        catch
        {
            Dispose();
            throw;
        }
        AddStack(Encoder.Rnn);
    }

    /// <summary>Embedding (for tokens) and recurrent stack.</summary>
    public SequenceEncoder Encoder { get; }

    /// <summary>The encoder's forward over <paramref name="examples"/> (their tokens or features, padded to <paramref name="steps"/>), its dropout drawn from the model's stream.</summary>
    protected RnnOutput Encode(IReadOnlyList<SequenceExample> examples, int steps, SequenceLengths lengths, bool training)
    {
        var tokens = Spec.TokenInputs ? SequenceBatch.Tokens(examples, steps) : null;
        var features = Spec.TokenInputs ? null : SequenceBatch.Features(examples, steps, Spec.FeatureSize);
        return WithDropout(Encoder.Rnn, () => Encoder.Forward(tokens, features, steps, examples.Count, lengths, training: training));
    }
}
