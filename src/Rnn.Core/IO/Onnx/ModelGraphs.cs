namespace GpuRnn.IO;

/// <summary>One ONNX file of an exported model.</summary>
/// <param name="Part">Empty for a model of one graph; <c>encoder</c> or <c>decoder</c> for seq2seq's and caption's two.</param>
/// <param name="Signature">Its inputs and outputs in one line, e.g. <c>tokens [T, B] int64, lengths [B] int32 -> probabilities [B, 3]</c>.</param>
/// <param name="Bytes">The ModelProto.</param>
public sealed record OnnxPart(string Part, string Signature, byte[] Bytes);

/// <summary>
/// The ONNX graphs of every task model, chosen by its model family (so a registered task exports
/// as the built-in tasks of its family do): <see cref="ClassifierGraph"/> (classify, adding),
/// <see cref="TaggerGraph"/> (tag, copy), <see cref="LanguageModelGraph"/> (charlm, and wordlm, a
/// tagger by its model), <see cref="Seq2SeqGraph"/> (an encoder and a decoder step) and
/// <see cref="CaptionGraph"/> (the conditioning as the encoder, then seq2seq's decoder step). Each
/// file's metadata says which graph it is under <c>gpurnn.graph</c>: <c>classifier</c>,
/// <c>tagger</c>, <c>charlm_step</c>, <c>wordlm_step</c>, <c>seq2seq_encoder</c>,
/// <c>seq2seq_decoder_step</c>, <c>caption_encoder</c>, <c>caption_decoder_step</c>.
/// </summary>
public static class ModelGraphs
{
    /// <summary>The parts <see cref="Export"/> writes for a task: <c>encoder</c> and <c>decoder</c> for the seq2seq and caption families, else one unnamed part.</summary>
    public static IReadOnlyList<string> Parts(TaskKind task) =>
        TaskRegistry.Get(task).Family is TaskModelFamily.Seq2Seq or TaskModelFamily.Caption ? ["encoder", "decoder"] : [""];

    /// <summary>Exports the model of <paramref name="spec"/> with its parameters <paramref name="stateDict"/>.</summary>
    /// <exception cref="ArgumentException">A tensor is missing or has the wrong shape.</exception>
    /// <exception cref="NotSupportedException">The task's model family has no ONNX graph.</exception>
    public static IReadOnlyList<OnnxPart> Export(TaskSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var inputs = spec.TokenInputs ? "tokens [T, B] int64" : $"features [T, B, {spec.FeatureSize}] float32";
        var v = spec.OutputSize;
        var state = spec.Cell == RnnCellKind.Lstm ? "h0, c0" : "h0";
        var newState = spec.Cell == RnnCellKind.Lstm ? "hn, cn" : "hn";
        var layers = $"[{spec.NumLayers}, B, {spec.HiddenSize}]";
        var family = TaskRegistry.Get(spec.Task).ExportFamily;
        var scores = TaskRegistry.Get(spec.Task).Family == TaskModelFamily.CharLm ? "logits" : "log_probabilities";
        return family switch
        {
            TaskModelFamily.Classifier =>
                [new("", $"{inputs}, lengths [B] int32 -> " + (spec.IsRegression ? "value [B, 1]" : $"probabilities [B, {v}]"), ClassifierGraph.Export(spec, stateDict))],
            TaskModelFamily.Tagger =>
                [new("", $"{inputs}, lengths [B] int32 -> probabilities [T, B, {v}]", TaggerGraph.Export(spec, stateDict))],
            TaskModelFamily.CharLm =>
                [new("", $"{inputs}, {state} {layers} -> {scores} [T, B, {v}], {newState}", LanguageModelGraph.Export(spec, stateDict))],
            TaskModelFamily.Seq2Seq =>
            [
                new("encoder", $"tokens [S, B] int64, lengths [B] int32 -> {newState} {layers}", Seq2SeqGraph.ExportEncoder(spec, stateDict)),
                new("decoder", $"tokens [T, B] int64, {state} {layers} -> log_probabilities [T, B, {v}], {newState}", Seq2SeqGraph.ExportDecoderStep(spec, stateDict)),
            ],
            TaskModelFamily.Caption =>
            [
                new("encoder", $"features [B, {spec.FeatureSize}] float32 -> {state} {layers}", CaptionGraph.ExportEncoder(spec, stateDict)),
                new("decoder", $"tokens [T, B] int64, {state} {layers} -> log_probabilities [T, B, {v}], {newState}", CaptionGraph.ExportDecoderStep(spec, stateDict)),
            ],
            _ => throw new NotSupportedException($"ONNX export: task {spec.Task.ToName()} has a model family GpuRnn has no ONNX graph for"),
        };
    }
}
