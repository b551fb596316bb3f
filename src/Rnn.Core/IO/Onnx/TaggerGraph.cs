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
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(stateDict);
        spec.Validate();
        if (TaskRegistry.Get(spec.Task).Family != TaskModelFamily.Tagger)
            throw new ArgumentException($"a tagger graph is for {TaskRegistry.NamesOf(TaskModelFamily.Tagger, "or")}, not {spec.Task.ToName()}");
        if (spec.Softmax != SoftmaxKind.Full) throw new ArgumentException("a tagger graph needs a full softmax");
        var rnn = spec.Rnn;
        int width = rnn.OutputSize, v = spec.OutputSize;
        var g = new OnnxGraph("gpurnn_" + spec.Task.ToName(), OnnxExporter.Opset);
        string x;
        if (spec.TokenInputs)
        {
            x = GraphParts.Embed(g, stateDict, "embedding.weight", "tokens", spec.InputVocabulary!.Count, spec.EmbeddingSize);
        }
        else
        {
            g.Input("features", OnnxGraph.Float, "T", "B", spec.FeatureSize);
            x = "features";
        }
        g.Input("lengths", OnnxGraph.Int32, "B");
        OnnxExporter.AppendStack(g, rnn, GraphParts.Under(stateDict, "rnn."), x, "y", "lengths", initialStates: false);
        var logits = GraphParts.Linear(g, stateDict, "output.", "y", width, v);
        g.Node("Softmax", [logits], ["probabilities"], OnnxGraph.Attribute.Int("axis", -1));
        g.Output("probabilities", OnnxGraph.Float, "T", "B", v);
        return GraphParts.Finish(g, spec, "tagger");
    }
}
