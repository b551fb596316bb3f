namespace GpuRnn.IO;

/// <summary>What the exported graph takes besides the input sequence.</summary>
/// <param name="InitialStates">Add inputs <c>h0</c> [L*D, B, P] (and <c>c0</c> [L*D, B, H] for LSTM); otherwise states start at zero.</param>
/// <param name="Lengths">Add input <c>lengths</c> [B] (int32, PyTorch's packed semantics); otherwise every sequence has T steps.</param>
public sealed record OnnxExportOptions(bool InitialStates = false, bool Lengths = false);

/// <summary>
/// Writes a recurrent stack as a standard ONNX graph (opset 14): one ONNX <c>LSTM</c>, <c>GRU</c>
/// or <c>RNN</c> operator per layer, both directions in one node, peepholes through the <c>P</c>
/// input, the GRU form through <c>linear_before_reset</c>. Inputs <c>x</c> [T, B, I] (plus
/// optional <c>h0</c>, <c>c0</c>, <c>lengths</c>); outputs <c>y</c> [T, B, D*P], <c>hn</c>
/// [L*D, B, P] and, for LSTM, <c>cn</c> [L*D, B, H]. Float32 throughout.
/// </summary>
/// <remarks>
/// ONNX's LSTM has no projection. With h = W_hr m, the recurrent term W_hh h(t-1) equals
/// (W_hh W_hr) m(t-1), so the operator runs on the unprojected state m with R = W_hh W_hr and the
/// projection follows as an explicit MatMul; an initial h0 enters as m0 = W_hr⁺ h0 (the
/// pseudo-inverse), which reproduces W_hh h0 exactly because W_hr W_hr⁺ = I when W_hr has full rank.
/// </remarks>
public static class OnnxExporter
{
    /// <summary>The ONNX opset every exported graph declares.</summary>
    public const int Opset = 14;

    /// <summary>Exports the stack described by <paramref name="spec"/> with the PyTorch-named <paramref name="stateDict"/>.</summary>
    public static byte[] Export(RnnSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(stateDict);
        spec.Validate();
        RefuseCellOptions(spec);
        options ??= new OnnxExportOptions();
        var g = new OnnxGraph("gpurnn_" + spec.Cell.ToName(), Opset);
        int layers = spec.NumLayers, dirs = spec.Directions, h = spec.HiddenSize, p = spec.StateSize;
        var lstm = spec.Cell == RnnCellKind.Lstm;
        var proj = spec.ProjSize > 0;

        g.Input("x", OnnxGraph.Float, "T", "B", spec.InputSize);
        if (options.InitialStates)
        {
            g.Input("h0", OnnxGraph.Float, layers * dirs, "B", p);
            if (lstm) g.Input("c0", OnnxGraph.Float, layers * dirs, "B", h);
        }
        if (options.Lengths) g.Input("lengths", OnnxGraph.Int32, "B");
        AppendStack(g, spec, stateDict, "x", "y", options.Lengths ? "lengths" : "", options.InitialStates);
        g.Output("y", OnnxGraph.Float, "T", "B", spec.OutputSize);
        g.Output("hn", OnnxGraph.Float, layers * dirs, "B", p);
        if (lstm) g.Output("cn", OnnxGraph.Float, layers * dirs, "B", h);
        return g.ToModel("GpuRnn", typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0", spec.ToString());
    }

    /// <summary>
    /// Appends the stack's nodes to <paramref name="g"/>: reads <paramref name="input"/> [T, B, I], writes
    /// <paramref name="output"/> [T, B, D*P], <c>hn</c> [L*D, B, P] (and <c>cn</c> for LSTM); with
    /// <paramref name="initialStates"/> it reads graph values <c>h0</c> and <c>c0</c>.
    /// </summary>
    internal static void AppendStack(OnnxGraph g, RnnSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict, string input, string output,
        string lengths, bool initialStates)
    {
        // Every graph (a bare stack, each task's model) writes its stacks here, so this refusal covers them all.
        RefuseCellOptions(spec);
        int layers = spec.NumLayers, dirs = spec.Directions;
        var lstm = spec.Cell == RnnCellKind.Lstm;
        var proj = spec.ProjSize > 0;
        var flatten = g.Initializer("shape_t_b_flat", [0, 0, -1]);
        var axis3 = proj ? g.Initializer("axes_3", [3]) : "";

        var finalH = new List<string>();
        var finalC = new List<string>();
        for (var k = 0; k < layers; k++)
        {
            var layer = spec.Layer(k);
            var weights = LayerInitializers(g, spec, layer, k, stateDict);
            var initialH = "";
            var initialC = "";
            if (initialStates)
            {
                initialH = SliceLayer(g, "h0", k, dirs);
                if (proj) initialH = MatMul(g, initialH, weights.PseudoInverseT!);
                if (lstm) initialC = SliceLayer(g, "c0", k, dirs);
            }
            var y = g.Name($"y{k}_tdbh");
            var yh = g.Name($"hn{k}");
            var yc = lstm ? g.Name($"cn{k}") : "";
            var inputs = new List<string> { input, weights.W, weights.R, weights.B, lengths, initialH };
            if (lstm) inputs.AddRange([initialC, weights.P]);
            while (inputs[^1].Length == 0) inputs.RemoveAt(inputs.Count - 1);
            var outputs = lstm ? new[] { y, yh, yc } : new[] { y, yh };
            g.Node(OpType(spec.Cell), [.. inputs], outputs, Attributes(spec, dirs));

            // [T, D, B, H] -> [T, B, D, H] -> (projection) -> [T, B, D*P]
            var ytbd = g.Name($"y{k}_tbdh");
            g.Node("Transpose", [y], [ytbd], OnnxGraph.Attribute.Ints("perm", 0, 2, 1, 3));
            if (proj)
            {
                var unsqueezed = g.Name($"y{k}_tbd1h");
                g.Node("Unsqueeze", [ytbd, axis3], [unsqueezed]);
                ytbd = MatMul(g, unsqueezed, weights.ProjectionT!);
                yh = MatMul(g, yh, weights.ProjectionT!);
            }
            var next = k == layers - 1 ? output : g.Name($"y{k}");
            g.Node("Reshape", [ytbd, flatten], [next]);
            input = next;
            finalH.Add(yh);
            if (lstm) finalC.Add(yc);
        }
        g.Node("Concat", [.. finalH], ["hn"], OnnxGraph.Attribute.Int("axis", 0));
        if (lstm) g.Node("Concat", [.. finalC], ["cn"], OnnxGraph.Attribute.Int("axis", 0));
    }

    /// <summary>Exports to a file, written atomically (temporary file, then rename).</summary>
    public static void ExportToFile(RnnSpec spec, IReadOnlyDictionary<string, HostTensor> stateDict, string path, OnnxExportOptions? options = null)
    {
        var bytes = Export(spec, stateDict, options);
        AtomicFile.Write(Path.GetFullPath(path), stream => stream.Write(bytes));
    }

    private static string OpType(RnnCellKind cell) => cell switch
    {
        RnnCellKind.Lstm => "LSTM",
        RnnCellKind.Gru => "GRU",
        _ => "RNN",
    };

    /// <summary>
    /// ONNX's LSTM and GRU operators have no layer norm inside the cell and no zoneout; their
    /// <c>clip</c> attribute bounds the inputs of the activations, not the cell state, so a cell
    /// clip cannot be written as it either.
    /// </summary>
    private static void RefuseCellOptions(RnnSpec spec)
    {
        if (spec.LayerNorm)
            throw new NotSupportedException("ONNX export: layer norm inside the cell (--layer-norm) has no ONNX LSTM/GRU attribute; export a model without it");
        if (spec.Zoneout > 0 || spec.ZoneoutCell > 0)
            throw new NotSupportedException("ONNX export: zoneout (--zoneout/--zoneout-cell) has no ONNX LSTM/GRU attribute (in evaluation it changes the recurrence); export a model without it");
        if (spec.CellClip > 0)
            throw new NotSupportedException("ONNX export: cell clipping (--cell-clip) clips the cell state, but ONNX LSTM's clip attribute clips the activations' inputs; export a model without it");
    }

    private static OnnxGraph.Attribute[] Attributes(RnnSpec spec, int dirs)
    {
        var list = new List<OnnxGraph.Attribute>
        {
            OnnxGraph.Attribute.Int("hidden_size", spec.HiddenSize),
            OnnxGraph.Attribute.String("direction", dirs == 2 ? "bidirectional" : "forward"),
        };
        if (spec.Cell == RnnCellKind.Gru)
            list.Add(OnnxGraph.Attribute.Int("linear_before_reset", spec.GruVariant == GruVariant.ResetAfter ? 1 : 0));
        if (spec.Cell is RnnCellKind.RnnTanh or RnnCellKind.RnnRelu)
        {
            var act = spec.Cell == RnnCellKind.RnnRelu ? "Relu" : "Tanh";
            list.Add(OnnxGraph.Attribute.Strings("activations", dirs == 2 ? [act, act] : [act]));
        }
        return [.. list];
    }

    private static string SliceLayer(OnnxGraph g, string state, int layer, int dirs)
    {
        var starts = g.Initializer(g.Name($"{state}_start"), [layer * dirs]);
        var ends = g.Initializer(g.Name($"{state}_end"), [(layer + 1) * dirs]);
        var axes = g.Initializer(g.Name($"{state}_axes"), [0]);
        var result = g.Name($"{state}_l{layer}");
        g.Node("Slice", [state, starts, ends, axes], [result]);
        return result;
    }

    private static string MatMul(OnnxGraph g, string a, string b)
    {
        var result = g.Name("matmul");
        g.Node("MatMul", [a, b], [result]);
        return result;
    }

    private sealed record LayerValues(string W, string R, string B, string P, string? ProjectionT, string? PseudoInverseT);

    /// <summary>The layer's W, R, B, P initializers in ONNX gate order, both directions stacked.</summary>
    private static LayerValues LayerInitializers(OnnxGraph g, RnnSpec spec, RnnLayerDesc layer, int k, IReadOnlyDictionary<string, HostTensor> sd)
    {
        int dirs = layer.Directions, h = layer.HiddenSize, gh = layer.GateCount * h, p = layer.StateSize, i = layer.InputSize;
        var order = GateOrder(layer.Cell);
        var proj = layer.ProjSize > 0;
        var w = new List<double>();
        var r = new List<double>();
        var b = new List<double>();
        var peep = new List<double>();
        var projT = new List<double>();
        var pinvT = new List<double>();
        for (var d = 0; d < dirs; d++)
        {
            double[] Get(string kind, Shape shape)
            {
                var name = RnnParameterNames.Name(kind, k, d);
                if (!sd.TryGetValue(name, out var t)) throw new ArgumentException($"tensor '{name}' is missing (expected shape {shape})");
                if (t.Shape != shape) throw new ArgumentException($"tensor '{name}' has shape {t.Shape} but {shape} was expected");
                return t.ToFloat64Array();
            }
            w.AddRange(Reorder(Get("weight_ih", new Shape(gh, i)), order, h, i));
            var whh = Get("weight_hh", new Shape(gh, p));
            if (proj)
            {
                var whr = Get("weight_hr", new Shape(p, h));
                r.AddRange(Reorder(MatrixProduct(whh, whr, gh, p, h), order, h, h));
                projT.AddRange(Transpose(whr, p, h));
                pinvT.AddRange(PseudoInverseTransposed(whr, p, h, $"weight_hr_l{k}{(d == 1 ? "_reverse" : "")}"));
            }
            else r.AddRange(Reorder(whh, order, h, p));
            if (layer.Bias)
            {
                b.AddRange(Reorder(Get("bias_ih", new Shape(gh)), order, h, 1));
                b.AddRange(Reorder(Get("bias_hh", new Shape(gh)), order, h, 1));
            }
            if (layer.Peepholes)
            {
                // ONNX's P is [P_i, P_o, P_f].
                peep.AddRange(Get("weight_ci", new Shape(h)));
                peep.AddRange(Get("weight_co", new Shape(h)));
                peep.AddRange(Get("weight_cf", new Shape(h)));
            }
        }
        var wName = g.Initializer($"W_l{k}", ToFloat(w), dirs, gh, i);
        var rName = g.Initializer($"R_l{k}", ToFloat(r), dirs, gh, proj ? h : p);
        var bName = layer.Bias ? g.Initializer($"B_l{k}", ToFloat(b), dirs, 2 * gh) : "";
        var pName = layer.Peepholes ? g.Initializer($"P_l{k}", ToFloat(peep), dirs, 3 * h) : "";
        string? projName = null, pinvName = null;
        if (proj)
        {
            projName = g.Initializer($"W_hr_T_l{k}", ToFloat(projT), dirs, h, p);
            pinvName = g.Initializer($"W_hr_pinv_T_l{k}", ToFloat(pinvT), dirs, p, h);
        }
        return new LayerValues(wName, rName, bName, pName, projName, pinvName);
    }

    /// <summary>PyTorch's gate block at each ONNX position: LSTM i,o,f,c from i,f,g,o; GRU z,r,h from r,z,n.</summary>
    private static int[] GateOrder(RnnCellKind cell) => cell switch
    {
        RnnCellKind.Lstm => [0, 3, 1, 2],
        RnnCellKind.Gru => [1, 0, 2],
        _ => [0],
    };

    private static double[] Reorder(double[] m, int[] order, int h, int cols)
    {
        var result = new double[m.Length];
        for (var q = 0; q < order.Length; q++)
            Array.Copy(m, order[q] * h * cols, result, q * h * cols, h * cols);
        return result;
    }

    private static double[] MatrixProduct(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (var i = 0; i < m; i++)
            for (var p = 0; p < k; p++)
                for (var j = 0; j < n; j++)
                    c[i * n + j] += a[i * k + p] * b[p * n + j];
        return c;
    }

    private static double[] Transpose(double[] a, int rows, int cols)
    {
        var t = new double[a.Length];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++)
                t[j * rows + i] = a[i * cols + j];
        return t;
    }

    /// <summary>(W⁺)ᵀ = (W Wᵀ)⁻¹ W for W [P, H] of full row rank, by Gaussian elimination in float64.</summary>
    private static double[] PseudoInverseTransposed(double[] w, int p, int h, string name)
    {
        var a = new double[p * p];
        for (var i = 0; i < p; i++)
            for (var j = 0; j < p; j++)
                for (var q = 0; q < h; q++)
                    a[i * p + j] += w[i * h + q] * w[j * h + q];
        var x = (double[])w.Clone();
        for (var col = 0; col < p; col++)
        {
            var pivot = col;
            for (var row = col + 1; row < p; row++)
                if (Math.Abs(a[row * p + col]) > Math.Abs(a[pivot * p + col])) pivot = row;
            if (Math.Abs(a[pivot * p + col]) < 1e-12)
                throw new ArgumentException($"{name} does not have full rank, so an initial state cannot be exported for its projection");
            if (pivot != col)
            {
                for (var j = 0; j < p; j++) (a[col * p + j], a[pivot * p + j]) = (a[pivot * p + j], a[col * p + j]);
                for (var j = 0; j < h; j++) (x[col * h + j], x[pivot * h + j]) = (x[pivot * h + j], x[col * h + j]);
            }
            for (var row = 0; row < p; row++)
            {
                if (row == col) continue;
                var f = a[row * p + col] / a[col * p + col];
                if (f == 0) continue;
                for (var j = 0; j < p; j++) a[row * p + j] -= f * a[col * p + j];
                for (var j = 0; j < h; j++) x[row * h + j] -= f * x[col * h + j];
            }
        }
        for (var row = 0; row < p; row++)
        {
            var d = a[row * p + row];
            for (var j = 0; j < h; j++) x[row * h + j] /= d;
        }
        return x;
    }

    private static float[] ToFloat(List<double> values) => values.Select(v => (float)v).ToArray();
}
