namespace GpuRnn.IO;

/// <summary>
/// Pieces the per-model graph builders share: checked weights from a state dict, sub-dicts by
/// prefix, the token embedding, a linear map over [T, B, H], the recurrent state's inputs and
/// outputs, and the metadata every whole-model graph carries.
/// </summary>
internal static class GraphParts
{
    /// <summary>The metadata key naming which graph a file holds (<see cref="ModelGraphs"/> lists the values).</summary>
    public const string GraphKey = "gpurnn.graph";

    /// <summary>The tensor <paramref name="name"/> as a float32 initializer of that name, checked to have <paramref name="dims"/>.</summary>
    public static string Weight(OnnxGraph g, IReadOnlyDictionary<string, HostTensor> sd, string name, params int[] dims)
    {
        var shape = new Shape(dims);
        if (!sd.TryGetValue(name, out var t)) throw new ArgumentException($"tensor '{name}' is missing (expected shape {shape})");
        if (t.Shape != shape) throw new ArgumentException($"tensor '{name}' has shape {t.Shape} but {shape} was expected");
        return g.Initializer(name, t.ToFloat64Array().Select(v => (float)v).ToArray(), dims.Select(d => (long)d).ToArray());
    }

    /// <summary>The tensors whose names start with <paramref name="prefix"/>, with the prefix removed (the recurrent stack's own names).</summary>
    public static IReadOnlyDictionary<string, HostTensor> Under(IReadOnlyDictionary<string, HostTensor> sd, string prefix) =>
        sd.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    /// <summary>
    /// Checks <paramref name="spec"/> and that its task is of <paramref name="family"/>, whose
    /// graph <paramref name="graph"/> names in the message (<c>a {graph} graph is for ...</c>).
    /// </summary>
    public static void CheckFamily(TaskSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict, TaskModelFamily family, string graph)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(stateDict);
        spec.Validate();
        if (TaskRegistry.Get(spec.Task).Family != family)
            throw new ArgumentException($"a {graph} graph is for {TaskRegistry.NamesOf(family, "or")}, not {spec.Task.ToName()}");
    }

    /// <summary>
    /// The input side of a one-stack model: <c>tokens</c> [T, B] through <c>embedding.weight</c>
    /// or <c>features</c> [T, B, F], and <c>lengths</c> [B] (int32), read by the stack
    /// <c>rnn.*</c> from zero states into <c>y</c> [T, B, D*H] and <c>hn</c>.
    /// </summary>
    public static void InputStack(OnnxGraph g, TaskSpec spec, IReadOnlyDictionary<string, HostTensor> sd)
    {
        string x;
        if (spec.TokenInputs)
        {
            x = Embed(g, sd, "embedding.weight", "tokens", spec.InputVocabulary!.Count, spec.EmbeddingSize);
        }
        else
        {
            g.Input("features", OnnxGraph.Float, "T", "B", spec.FeatureSize);
            x = "features";
        }
        g.Input("lengths", OnnxGraph.Int32, "B");
        OnnxExporter.AppendStack(g, spec.Rnn, Under(sd, "rnn."), x, "y", "lengths", initialStates: false);
    }

    /// <summary>Declares input <paramref name="tokens"/> [T, B] (int64) and looks it up in <paramref name="table"/> [V, E]; returns the [T, B, E] value.</summary>
    public static string Embed(OnnxGraph g, IReadOnlyDictionary<string, HostTensor> sd, string table, string tokens, int vocabulary, int width)
    {
        g.Input(tokens, OnnxGraph.Int64, "T", "B");
        var weights = Weight(g, sd, table, vocabulary, width);
        var embedded = g.Name("embedded");
        g.Node("Gather", [weights, tokens], [embedded]);
        return embedded;
    }

    /// <summary><paramref name="x"/> [T, B, I] times <c>{prefix}weight</c>ᵀ [I, O] plus <c>{prefix}bias</c> [O]: [T, B, O] as <paramref name="output"/>.</summary>
    public static string Linear(OnnxGraph g, IReadOnlyDictionary<string, HostTensor> sd, string prefix, string x, int inputs, int outputs, string? output = null)
    {
        var w = Weight(g, sd, prefix + "weight", outputs, inputs);
        var wT = g.Name(prefix.Replace('.', '_') + "weight_T");
        g.Node("Transpose", [w], [wT], OnnxGraph.Attribute.Ints("perm", 1, 0));
        var product = g.Name("product");
        g.Node("MatMul", [x, wT], [product]);
        var result = output ?? g.Name("linear");
        g.Node("Add", [product, Weight(g, sd, prefix + "bias", outputs)], [result]);
        return result;
    }

    /// <summary>Declares inputs <c>h0</c> [L, B, H] and, for LSTM, <c>c0</c> (what the stack reads with initial states).</summary>
    public static void StateInputs(OnnxGraph g, RnnSpec rnn)
    {
        int rows = rnn.NumLayers * rnn.Directions;
        g.Input("h0", OnnxGraph.Float, rows, "B", rnn.StateSize);
        if (rnn.Cell == RnnCellKind.Lstm) g.Input("c0", OnnxGraph.Float, rows, "B", rnn.HiddenSize);
    }

    /// <summary>Declares outputs <c>hn</c> [L, B, H] and, for LSTM, <c>cn</c> (what the stack writes).</summary>
    public static void StateOutputs(OnnxGraph g, RnnSpec rnn)
    {
        int rows = rnn.NumLayers * rnn.Directions;
        g.Output("hn", OnnxGraph.Float, rows, "B", rnn.StateSize);
        if (rnn.Cell == RnnCellKind.Lstm) g.Output("cn", OnnxGraph.Float, rows, "B", rnn.HiddenSize);
    }

    /// <summary>
    /// The model's bytes, with metadata a caller needs to use it: <c>gpurnn.graph</c> (which graph),
    /// <c>gpurnn.task</c>, <c>gpurnn.spec</c> (the task spec as checkpoints store it) and the
    /// vocabularies as JSON arrays of strings, index = id: <c>gpurnn.input_vocabulary</c> (tokens or
    /// characters read) and <c>gpurnn.output_vocabulary</c> (labels, tags, target tokens or words).
    /// </summary>
    public static byte[] Finish(OnnxGraph g, TaskSpec spec, string graph)
    {
        g.Metadata(GraphKey, graph);
        g.Metadata("gpurnn.task", spec.Task.ToName());
        g.Metadata("gpurnn.spec", spec.ToJson());
        if (spec.InputVocabulary is not null) g.Metadata("gpurnn.input_vocabulary", spec.InputVocabulary.ToJson());
        if (spec.OutputVocabulary is not null) g.Metadata("gpurnn.output_vocabulary", spec.OutputVocabulary.ToJson());
        return g.ToModel("GpuRnn", typeof(GraphParts).Assembly.GetName().Version?.ToString() ?? "0", spec.ToString());
    }
}
