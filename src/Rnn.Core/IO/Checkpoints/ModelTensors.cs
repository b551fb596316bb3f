namespace GpuRnn.IO;

/// <summary>
/// The parameter tensors (names and shapes, state_dict order) that the models of a
/// <see cref="CharModelSpec"/> and a <see cref="TaskSpec"/> have, derived from the spec alone with
/// checked arithmetic, so that a checkpoint's metadata can be checked against its header before
/// the model is built (<see cref="ExpectedTensors.CheckHeader"/>), and a size asked for on the
/// command line can be refused before anything is allocated. A test keeps each list equal to the
/// parameters of the model built from the same spec.
/// </summary>
public static class ModelTensors
{
    /// <summary>
    /// Adds a character model's parameters: <c>embedding.weight</c> [V, E], the stack under
    /// <c>rnn.</c>, <c>decoder.weight</c> [V, H], <c>decoder.bias</c> [V].
    /// </summary>
    /// <exception cref="ArgumentException">A tensor would be larger than a tensor can be, or the list longer than allowed.</exception>
    public static ExpectedTensors AddCharModel(this ExpectedTensors tensors, CharModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(spec);
        tensors.Add("embedding.weight", spec.VocabSize, spec.EmbeddingSize);
        tensors.AddRnn("rnn.", spec.Rnn);
        tensors.Add("decoder.weight", spec.VocabSize, spec.HiddenSize);
        tensors.Add("decoder.bias", spec.VocabSize);
        return tensors;
    }

    /// <summary>
    /// Adds a task model's parameters: the encoder (an embedding for token inputs, the stack under
    /// <c>rnn.</c>) and the output layer (<c>decoder</c> for charlm, as <see cref="AddCharModel"/>); for seq2seq an encoder and a decoder under
    /// <c>encoder.</c> and <c>decoder.</c> and the decoder's output layer <c>decoder.output</c>;
    /// for caption the initial-state layers <c>init_hidden</c> and (LSTM) <c>init_cell</c> before that decoder.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor would be larger than a tensor can be, or the list longer than allowed.</exception>
    public static ExpectedTensors AddTaskModel(this ExpectedTensors tensors, TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(spec);
        var rnn = spec.Rnn;
        long outputs = spec.OutputSize, features = (long)rnn.Directions * (rnn.ProjSize > 0 ? rnn.ProjSize : rnn.HiddenSize);
        void Encoder(string prefix, long vocabulary)
        {
            if (vocabulary > 0) tensors.Add(prefix + "embedding.weight", vocabulary, rnn.InputSize);
            tensors.AddRnn(prefix + "rnn.", rnn);
        }
        void Linear(string prefix, long input, long output)
        {
            tensors.Add(prefix + ".weight", output, input);
            tensors.Add(prefix + ".bias", output);
        }
        // The tensors follow the model the task trains, as TaskModels.Create builds it.
        switch (TaskRegistry.Get(spec.Task).Family)
        {
            case TaskModelFamily.Seq2Seq:
                Encoder("encoder.", spec.InputVocabulary?.Count ?? 0);
                Encoder("decoder.", outputs);
                Linear("decoder.output", spec.HiddenSize, outputs);
                break;
            case TaskModelFamily.Caption:
                var decoder = CaptionModel.DecoderSpec(spec);
                Linear("init_hidden", spec.FeatureSize, (long)decoder.NumLayers * decoder.HiddenSize);
                if (decoder.Cell == RnnCellKind.Lstm) Linear("init_cell", spec.FeatureSize, (long)decoder.NumLayers * decoder.HiddenSize);
                tensors.Add("decoder.embedding.weight", outputs, decoder.InputSize);
                tensors.AddRnn("decoder.rnn.", decoder);
                Linear("decoder.output", spec.HiddenSize, outputs);
                break;
            case TaskModelFamily.CharLm:
                Encoder("", spec.InputVocabulary?.Count ?? 0);
                Linear("decoder", spec.HiddenSize, outputs);
                break;
            case TaskModelFamily.Classifier:
                Encoder("", spec.InputVocabulary?.Count ?? 0);
                Linear("output", features, outputs);
                break;
            default:
                Encoder("", spec.InputVocabulary?.Count ?? 0);
                if (spec.Softmax == SoftmaxKind.Class)
                {
                    Linear("output.classes", features, GpuRnn.Nn.WordClasses.FromClassOf(spec.WordClasses!, spec.OutputSize).Count);
                    Linear("output.words", features, outputs);
                }
                else
                {
                    Linear("output", features, outputs);
                }
                break;
        }
        return tensors;
    }
}
