namespace GpuRnn.IO;

/// <summary>
/// The ONNX graph of a many-to-one task model (<c>classify</c>, <c>adding</c>, or a registered task
/// of the <see cref="TaskModelFamily.Classifier"/> family), built from its
/// <see cref="TaskSpec"/> and its state dict by parameter name (<c>embedding.weight</c>,
/// <c>rnn.weight_ih_l0</c>, ..., <c>output.weight</c>, <c>output.bias</c>). Inputs: <c>tokens</c>
/// [T, B] (int64 ids) or <c>features</c> [T, B, F] (float32), and <c>lengths</c> [B] (int32, each
/// at least 1). Output: <c>probabilities</c> [B, K] (a softmax over the labels), or <c>value</c>
/// [B, 1] for regression. Pooling (last state or mean over each sequence's own steps) is in the graph.
/// </summary>
public static class ClassifierGraph
{
    /// <summary>Exports the model.</summary>
    /// <exception cref="ArgumentException">The spec is not a many-to-one task, or a tensor is missing or has the wrong shape.</exception>
    public static byte[] Export(TaskSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict)
    {
        GraphParts.CheckFamily(spec, stateDict, TaskModelFamily.Classifier, "classifier");
        var rnn = spec.Rnn;
        int dirs = rnn.Directions, width = rnn.OutputSize, k = spec.OutputSize;
        var g = new OnnxGraph("gpurnn_" + spec.Task.ToName(), OnnxExporter.Opset);
        GraphParts.InputStack(g, spec, stateDict);

        var pooled = g.Name("pooled");
        if (spec.Pooling == Pooling.Last)
        {
            // The top layer's final states [D, B, H] -> [B, D, H] -> [B, D*H] (forward then backward, as GpuRnn concatenates).
            var top = g.Name("hn_top");
            g.Node("Slice", ["hn", g.Initializer(g.Name("start"), [(long)(rnn.NumLayers - 1) * dirs]), g.Initializer(g.Name("end"), [(long)rnn.NumLayers * dirs]),
                g.Initializer(g.Name("axes"), [0])], [top]);
            var bdh = g.Name("hn_bdh");
            g.Node("Transpose", [top], [bdh], OnnxGraph.Attribute.Ints("perm", 1, 0, 2));
            g.Node("Reshape", [bdh, g.Initializer(g.Name("shape_b_flat"), [0, -1])], [pooled]);
        }
        else
        {
            // ONNX's recurrent operators write zeros past each sequence's end, so the sum over T is the sum over its own steps.
            var sum = g.Name("sum");
            g.Node("ReduceSum", ["y", g.Initializer(g.Name("axes"), [0])], [sum], OnnxGraph.Attribute.Int("keepdims", 0));
            var lf = g.Name("lengths_f");
            g.Node("Cast", ["lengths"], [lf], OnnxGraph.Attribute.Int("to", OnnxGraph.Float));
            var col = g.Name("lengths_col");
            g.Node("Unsqueeze", [lf, g.Initializer(g.Name("axes"), [1])], [col]);
            g.Node("Div", [sum, col], [pooled]);
        }
        var w = GraphParts.Weight(g, stateDict, "output.weight", k, width);
        var b = GraphParts.Weight(g, stateDict, "output.bias", k);
        var result = spec.IsRegression ? "value" : g.Name("logits");
        g.Node("Gemm", [pooled, w, b], [result], OnnxGraph.Attribute.Int("transB", 1));
        if (spec.IsRegression) g.Output("value", OnnxGraph.Float, "B", 1);
        else
        {
            g.Node("Softmax", [result], ["probabilities"], OnnxGraph.Attribute.Int("axis", -1));
            g.Output("probabilities", OnnxGraph.Float, "B", k);
        }
        return GraphParts.Finish(g, spec, "classifier");
    }
}
