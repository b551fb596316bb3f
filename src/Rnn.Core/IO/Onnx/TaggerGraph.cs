namespace GpuRnn.IO;

/// <summary>
/// The ONNX graph of a tagger (<c>tag</c>, <c>copy</c>, or a registered task of the
/// <see cref="TaskModelFamily.Tagger"/> family) with a full softmax, built from its
/// <see cref="TaskSpec"/> and state dict by parameter name (<c>embedding.weight</c>,
/// <c>rnn.*</c>, <c>output.weight</c> [V, D*H], <c>output.bias</c> [V]). Inputs: <c>tokens</c>
/// [T, B] (int64) or <c>features</c> [T, B, F], and <c>lengths</c> [B] (int32). Output:
/// <c>probabilities</c> [T, B, V], meaningful at each sequence's own steps (both directions read
/// only those steps).
/// </summary>
public static class TaggerGraph
{
    /// <summary>Exports the model.</summary>
    /// <exception cref="ArgumentException">Not a tag or copy model, a class-based softmax, or a tensor is missing or has the wrong shape.</exception>
    public static byte[] Export(TaskSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict)
    {
        GraphParts.CheckFamily(spec, stateDict, TaskModelFamily.Tagger, "tagger");
        if (spec.Softmax != SoftmaxKind.Full) throw new ArgumentException("a tagger graph needs a full softmax");
        int width = spec.Rnn.OutputSize, v = spec.OutputSize;
        var g = new OnnxGraph("gpurnn_" + spec.Task.ToName(), OnnxExporter.Opset);
        GraphParts.InputStack(g, spec, stateDict);
        var logits = GraphParts.Linear(g, stateDict, "output.", "y", width, v);
        g.Node("Softmax", [logits], ["probabilities"], OnnxGraph.Attribute.Int("axis", -1));
        g.Output("probabilities", OnnxGraph.Float, "T", "B", v);
        return GraphParts.Finish(g, spec, "tagger");
    }
}
