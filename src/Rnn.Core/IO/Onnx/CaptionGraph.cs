namespace GpuRnn.IO;

/// <summary>
/// The two ONNX graphs of a caption model (<see cref="CaptionModel"/>), exported as seq2seq's are:
/// the "encoder" is the model's conditioning, run once per feature vector, and the decoder step is
/// <see cref="Seq2SeqGraph"/>'s, run once per output token. Parameters by name:
/// <c>init_hidden.weight</c> [L*H, F] and <c>.bias</c> [L*H], for LSTM <c>init_cell.*</c>, then
/// the decoder's <c>decoder.embedding.weight</c>, <c>decoder.rnn.*</c>, <c>decoder.output.*</c>.
/// </summary>
public static class CaptionGraph
{
    /// <summary>
    /// The conditioning: <c>features</c> [B, F] (float32, one vector per caption) in; <c>h0</c>
    /// [L, B, H] and, for LSTM, <c>c0</c> [L, B, H] out (layer l's units are rows l*H..(l+1)*H-1 of
    /// <c>init_hidden</c>), the decoder step's first <c>h0</c>/<c>c0</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Not a caption model, or a tensor is missing or has the wrong shape.</exception>
    public static byte[] ExportEncoder(TaskSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict)
    {
        var rnn = Check(spec, stateDict);
        var g = new OnnxGraph("gpurnn_caption_encoder", OnnxExporter.Opset);
        g.Input("features", OnnxGraph.Float, "B", spec.FeatureSize);
        // [B, L*H] -> [B, L, H] (0 keeps the batch) -> [L, B, H], as the model's Transpose01 does.
        var shape = g.Initializer(g.Name("state_shape"), [0, rnn.NumLayers, rnn.HiddenSize]);
        void State(string prefix, string output)
        {
            var rows = GraphParts.Linear(g, stateDict, prefix, "features", spec.FeatureSize, rnn.NumLayers * rnn.HiddenSize);
            var split = g.Name(prefix.Replace('.', '_') + "rows");
            g.Node("Reshape", [rows, shape], [split]);
            g.Node("Transpose", [split], [output], OnnxGraph.Attribute.Ints("perm", 1, 0, 2));
            g.Output(output, OnnxGraph.Float, rnn.NumLayers, "B", rnn.HiddenSize);
        }
        State("init_hidden.", "h0");
        if (rnn.Cell == RnnCellKind.Lstm) State("init_cell.", "c0");
        return GraphParts.Finish(g, spec, "caption_encoder");
    }

    /// <summary>
    /// The decoder step, the graph of <see cref="Seq2SeqGraph.ExportDecoderStep"/>: <c>tokens</c>
    /// [T, B] (int64; <c>&lt;/s&gt;</c>, id 0, first), <c>h0</c> [L, B, H] and, for LSTM, <c>c0</c>
    /// in; <c>log_probabilities</c> [T, B, V], <c>hn</c> and <c>cn</c> out.
    /// </summary>
    /// <exception cref="ArgumentException">Not a caption model, or a tensor is missing or has the wrong shape.</exception>
    public static byte[] ExportDecoderStep(TaskSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict) =>
        Seq2SeqGraph.DecoderStep(spec, Check(spec, stateDict), stateDict, "caption_decoder_step");

    /// <summary>Checks the spec and returns the decoder's stack.</summary>
    private static RnnSpec Check(TaskSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict)
    {
        GraphParts.CheckFamily(spec, stateDict, TaskModelFamily.Caption, "caption");
        return CaptionModel.DecoderSpec(spec);
    }
}
