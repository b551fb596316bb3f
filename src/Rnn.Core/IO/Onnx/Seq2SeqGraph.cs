namespace GpuRnn.IO;

/// <summary>
/// The two ONNX graphs of a seq2seq model, what a greedy or beam search needs: the encoder, run
/// once per source, and the decoder step, run once per output token with the states of each
/// hypothesis. Parameters by name: <c>encoder.embedding.weight</c>, <c>encoder.rnn.*</c>,
/// <c>decoder.embedding.weight</c>, <c>decoder.rnn.*</c>, <c>decoder.output.weight</c> [V, H] and
/// <c>.bias</c> [V].
/// </summary>
public static class Seq2SeqGraph
{
    /// <summary>
    /// The encoder: <c>tokens</c> [S, B] (int64 source ids, in reading order; the graph reverses
    /// each source within its own length when the model was trained so) and <c>lengths</c> [B]
    /// (int32) in; <c>hn</c> [L, B, H] and, for LSTM, <c>cn</c> [L, B, H] out, the decoder's first
    /// <c>h0</c>/<c>c0</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Not a seq2seq model, or a tensor is missing or has the wrong shape.</exception>
    public static byte[] ExportEncoder(TaskSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict)
    {
        GraphParts.CheckFamily(spec, stateDict, TaskModelFamily.Seq2Seq, "seq2seq");
        var rnn = spec.Rnn;
        var g = new OnnxGraph("gpurnn_seq2seq_encoder", OnnxExporter.Opset);
        var x = GraphParts.Embed(g, stateDict, "encoder.embedding.weight", "tokens", spec.InputVocabulary!.Count, spec.EmbeddingSize);
        g.Input("lengths", OnnxGraph.Int32, "B");
        if (spec.ReverseSource)
        {
            // Step t reads token n - 1 - t of a source of n tokens; padding stays past the end.
            var lengths64 = g.Name("lengths_i64");
            g.Node("Cast", ["lengths"], [lengths64], OnnxGraph.Attribute.Int("to", OnnxGraph.Int64));
            var reversed = g.Name("reversed");
            g.Node("ReverseSequence", [x, lengths64], [reversed], OnnxGraph.Attribute.Int("batch_axis", 1), OnnxGraph.Attribute.Int("time_axis", 0));
            x = reversed;
        }
        OnnxExporter.AppendStack(g, rnn, GraphParts.Under(stateDict, "encoder.rnn."), x, g.Name("encoder_y"), "lengths", initialStates: false);
        GraphParts.StateOutputs(g, rnn);
        return GraphParts.Finish(g, spec, "seq2seq_encoder");
    }

    /// <summary>
    /// The decoder step: <c>tokens</c> [T, B] (int64 target ids; the first input is the end token
    /// <c>&lt;/s&gt;</c>, id 0, then each chosen token), <c>h0</c> [L, B, H] and, for LSTM, <c>c0</c>
    /// in; <c>log_probabilities</c> [T, B, V] of the next token, <c>hn</c> and <c>cn</c> out.
    /// </summary>
    /// <exception cref="ArgumentException">Not a seq2seq model, or a tensor is missing or has the wrong shape.</exception>
    public static byte[] ExportDecoderStep(TaskSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict)
    {
        GraphParts.CheckFamily(spec, stateDict, TaskModelFamily.Seq2Seq, "seq2seq");
        return DecoderStep(spec, spec.Rnn, stateDict, "seq2seq_decoder_step");
    }

    /// <summary>
    /// The decoder step of any <see cref="DecoderModel"/> (seq2seq's, and caption's with
    /// <see cref="CaptionGraph"/>): <c>decoder.embedding</c>, the stack <paramref name="rnn"/> from
    /// <c>h0</c>/<c>c0</c>, <c>decoder.output</c> and a log-softmax; <paramref name="graph"/> is its
    /// <c>gpurnn.graph</c> metadata value.
    /// </summary>
    internal static byte[] DecoderStep(TaskSpec spec, RnnSpec rnn, IReadOnlyDictionary<string, HostTensor> stateDict, string graph)
    {
        int v = spec.OutputSize;
        var g = new OnnxGraph("gpurnn_" + graph, OnnxExporter.Opset);
        var x = GraphParts.Embed(g, stateDict, "decoder.embedding.weight", "tokens", v, spec.EmbeddingSize);
        GraphParts.StateInputs(g, rnn);
        OnnxExporter.AppendStack(g, rnn, GraphParts.Under(stateDict, "decoder.rnn."), x, "y", "", initialStates: true);
        var logits = GraphParts.Linear(g, stateDict, "decoder.output.", "y", rnn.OutputSize, v);
        g.Node("LogSoftmax", [logits], ["log_probabilities"], OnnxGraph.Attribute.Int("axis", -1));
        g.Output("log_probabilities", OnnxGraph.Float, "T", "B", v);
        GraphParts.StateOutputs(g, rnn);
        return GraphParts.Finish(g, spec, graph);
    }
}
