namespace GpuRnn.Tasks;

/// <summary>
/// Sequence to sequence (Sutskever, Vinyals and Le 2014): an encoder reads the source (reversed
/// when <see cref="TaskSpec.ReverseSource"/>), its final states (h and, for LSTM, c of every layer)
/// start a decoder that reads <c>&lt;/s&gt; y1 ... yn</c> and predicts <c>y1 ... yn &lt;/s&gt;</c>
/// (teacher forcing). Encoder and decoder have the same cell, layers and width, each its own
/// embedding; the decoder's output layer is <c>decoder.output</c> [V, H]. At inference the decoder
/// feeds back its own choices: greedily, or by beam search (<see cref="BeamSearch"/>).
/// The decoder side is <see cref="DecoderModel"/>'s.
/// </summary>
public sealed class Seq2SeqModel : DecoderModel
{
    /// <summary>Creates the model for a spec of a <see cref="TaskModelFamily.Seq2Seq"/> task.</summary>
    public Seq2SeqModel(IBackend backend, TaskSpec spec, ulong seed = 0, DType dtype = DType.Float32) : base(backend, spec, dtype, seed)
    {
        if (TaskRegistry.Get(spec.Task).Family != TaskModelFamily.Seq2Seq)
            throw new ArgumentException($"a seq2seq model serves {TaskRegistry.NamesOf(TaskModelFamily.Seq2Seq)}, not {spec.Task.ToName()}");
        if (!spec.TokenInputs) throw new ArgumentException("a seq2seq model reads source tokens");
        try
        {
            Encoder = RegisterModule("encoder", new SequenceEncoder(backend, spec.Rnn, spec.InputVocabulary!.Count, dtype, CounterRng.Hash(seed, 10), spec.Dropout,
                spec.RecurrentInit, spec.ForgetBias));
            AddStack(Encoder.Rnn);
            AddDecoder(spec.Rnn, seed);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Source embedding and recurrent stack.</summary>
    public SequenceEncoder Encoder { get; }

    /// <summary>The encoder's final states hN and cN [L, B, H] over the sources.</summary>
    protected override (Tensor Hidden, Tensor? Cell) Condition(IReadOnlyList<SequenceExample> examples, bool training, TensorScope scope)
    {
        var steps = SequenceBatch.MaxLength(examples);
        var tokens = SequenceBatch.Tokens(examples, steps, Spec.ReverseSource);
        var encoded = scope.Own(WithDropout(Encoder.Rnn, () => Encoder.Forward(tokens, null, steps, examples.Count, SequenceBatch.Lengths(examples), training: training)));
        return (encoded.Hidden, encoded.Cell);
    }

    /// <summary>The decoder's gradient with respect to its initial state is the encoder's with respect to its final state.</summary>
    protected override void BackwardCondition(IReadOnlyList<SequenceExample> examples, Tensor dHidden, Tensor? dCell)
    {
        using var dEncoded = Backend.Allocate(new Shape(SequenceBatch.MaxLength(examples), examples.Count, Spec.Rnn.OutputSize), DType);
        Backend.Fill(dEncoded, 0);
        Encoder.Backward(dEncoded, dHidden, dCell).Dispose();
    }
}
