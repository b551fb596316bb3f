namespace GpuRnn.IO;

/// <summary>
/// The ONNX step graph of a language model (<c>charlm</c>, <c>wordlm</c>): a chunk of tokens and
/// the recurrent state in, the next-token scores of every step and the new state out, so that a
/// caller generates token by token (T = 1) or scores a text chunk by chunk, feeding <c>hn</c>/<c>cn</c>
/// back as <c>h0</c>/<c>c0</c>. Inputs: <c>tokens</c> [T, B] (int64), <c>h0</c> [L, B, H] and, for
/// LSTM, <c>c0</c> [L, B, H] (zeros to start). Outputs: <c>hn</c>, <c>cn</c>, and for <c>charlm</c>
/// <c>logits</c> [T, B, V] (what sampling with a temperature divides), for <c>wordlm</c>
/// <c>log_probabilities</c> [T, B, V]: with a class-based softmax the two-level product is expanded
/// to the full distribution, log p(w) = log p(c(w)) + log p(w | c(w)), each class's words
/// normalised over that class alone (a Split into the classes' id ranges, a LogSoftmax each).
/// </summary>
public static class LanguageModelGraph
{
    /// <summary>Exports the model.</summary>
    /// <exception cref="ArgumentException">Not a language model, or a tensor is missing or has the wrong shape.</exception>
    public static byte[] Export(TaskSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(stateDict);
        spec.Validate();
        // The character model's family names its output layer decoder.*; wordlm (a tagger) names it output.*.
        var task = TaskRegistry.Get(spec.Task);
        var character = task.Family == TaskModelFamily.CharLm;
        if (task.ExportFamily != TaskModelFamily.CharLm)
            throw new ArgumentException($"a language-model graph is for charlm or wordlm, not {spec.Task.ToName()}");
        if (!spec.TokenInputs) throw new ArgumentException("a language model reads tokens");
        var rnn = spec.Rnn;
        int width = rnn.OutputSize, v = spec.OutputSize;
        var g = new OnnxGraph("gpurnn_" + spec.Task.ToName(), OnnxExporter.Opset);
        var x = GraphParts.Embed(g, stateDict, "embedding.weight", "tokens", spec.InputVocabulary!.Count, spec.EmbeddingSize);
        GraphParts.StateInputs(g, rnn);
        OnnxExporter.AppendStack(g, rnn, GraphParts.Under(stateDict, "rnn."), x, "y", "", initialStates: true);
        if (character)
        {
            GraphParts.Linear(g, stateDict, "decoder.", "y", width, v, "logits");
            g.Output("logits", OnnxGraph.Float, "T", "B", v);
        }
        else if (spec.Softmax == SoftmaxKind.Full)
        {
            var logits = GraphParts.Linear(g, stateDict, "output.", "y", width, v);
            g.Node("LogSoftmax", [logits], ["log_probabilities"], OnnxGraph.Attribute.Int("axis", -1));
            g.Output("log_probabilities", OnnxGraph.Float, "T", "B", v);
        }
        else
        {
            ClassSoftmax(g, stateDict, WordClasses.FromClassOf(spec.WordClasses!, v), "y", width, "log_probabilities");
            g.Output("log_probabilities", OnnxGraph.Float, "T", "B", v);
        }
        GraphParts.StateOutputs(g, rnn);
        return GraphParts.Finish(g, spec, character ? "charlm_step" : "wordlm_step");
    }

    // Classes are consecutive id ranges, so splitting the word logits at the class boundaries and
    // concatenating the per-class log-softmaxes keeps the ids in order.
    private static void ClassSoftmax(OnnxGraph g, IReadOnlyDictionary<string, HostTensor> sd, WordClasses classes, string y, int width, string output)
    {
        var classLogits = GraphParts.Linear(g, sd, "output.classes.", y, width, classes.Count);
        var classLog = g.Name("class_log_probabilities");
        g.Node("LogSoftmax", [classLogits], [classLog], OnnxGraph.Attribute.Int("axis", -1));
        var wordLogits = GraphParts.Linear(g, sd, "output.words.", y, width, classes.Vocabulary);
        var sizes = g.Initializer(g.Name("class_sizes"), Enumerable.Range(0, classes.Count).Select(c => (long)classes.Size(c)).ToArray());
        var parts = Enumerable.Range(0, classes.Count).Select(c => g.Name($"class{c}_logits")).ToArray();
        g.Node("Split", [wordLogits, sizes], parts, OnnxGraph.Attribute.Int("axis", -1));
        var normalised = parts.Select(part =>
        {
            var result = g.Name(part + "_log");
            g.Node("LogSoftmax", [part], [result], OnnxGraph.Attribute.Int("axis", -1));
            return result;
        }).ToArray();
        var withinClass = g.Name("word_given_class");
        g.Node("Concat", normalised, [withinClass], OnnxGraph.Attribute.Int("axis", -1));
        var classOf = g.Initializer(g.Name("class_of"), classes.ClassOf.Select(c => (long)c).ToArray());
        var ofWord = g.Name("class_of_word");
        g.Node("Gather", [classLog, classOf], [ofWord], OnnxGraph.Attribute.Int("axis", -1));
        g.Node("Add", [ofWord, withinClass], [output]);
    }
}
