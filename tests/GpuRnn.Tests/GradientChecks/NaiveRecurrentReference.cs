namespace GpuRnn.Tests.GradientChecks;

/// <summary>
/// A deliberately naive float64 recurrent stack, written straight from the equations for the
/// tests alone: scalar loops, one sequence at a time, each sequence run for its own length and
/// no further (so nothing about padding or masking is shared with a backend). It catches a
/// forward that is wrong but consistent with its own backward, which a gradient check cannot.
/// </summary>
/// <remarks>
/// Weights come by PyTorch name (<c>weight_ih_l0</c>, <c>bias_hh_l1_reverse</c>, ...) in PyTorch's
/// layouts: <c>weight_ih</c> [G*H, I] with gate blocks of H rows in the order LSTM i, f, g, o and
/// GRU r, z, n; <c>weight_hh</c> [G*H, P]; <c>weight_hr</c> [P, H]; peepholes [H].
/// </remarks>
public static class NaiveRecurrentReference
{
    /// <summary>The stack's outputs, and the pre-activation of a relu cell closest to its kink.</summary>
    /// <param name="Output">y [T, B, D*P], zero past each sequence's end.</param>
    /// <param name="Hidden">hN [L*D, B, P].</param>
    /// <param name="Cell">cN [L*D, B, H] for LSTM, else null.</param>
    /// <param name="SmallestReluInput">min |a| over every relu pre-activation a computed (infinity for other cells).</param>
    public sealed record Result(double[] Output, double[] Hidden, double[]? Cell, double SmallestReluInput);

    /// <summary>Runs the stack on x [T, B, I] with per-sequence lengths and optional h0 [L*D, B, P] and c0 [L*D, B, H].</summary>
    public static Result Run(RnnSpec spec, IReadOnlyDictionary<string, double[]> weights, double[] x, int steps, int batch,
        int[] lengths, double[]? h0, double[]? c0)
    {
        int dirs = spec.Directions, p = spec.StateSize, hidden = spec.HiddenSize, layers = spec.NumLayers;
        var y = new double[steps * batch * dirs * p];
        var hN = new double[layers * dirs * batch * p];
        var cN = spec.Cell == RnnCellKind.Lstm ? new double[layers * dirs * batch * hidden] : null;
        var smallest = double.PositiveInfinity;

        for (var b = 0; b < batch; b++)
        {
            var length = lengths[b];
            // This sequence's input to the current layer, one vector per step of its own length.
            var input = new double[length][];
            for (var t = 0; t < length; t++) input[t] = x.AsSpan((t * batch + b) * spec.InputSize, spec.InputSize).ToArray();

            for (var k = 0; k < layers; k++)
            {
                var output = new double[length][];
                for (var t = 0; t < length; t++) output[t] = new double[dirs * p];
                for (var d = 0; d < dirs; d++)
                {
                    var cell = new CellWeights(spec, weights, k, d);
                    var state = (k * dirs + d) * batch + b;
                    var h = h0 is null ? new double[p] : h0.AsSpan(state * p, p).ToArray();
                    var c = c0 is null ? new double[hidden] : c0.AsSpan(state * hidden, hidden).ToArray();
                    // Direction 0 reads steps 0 .. length-1; direction 1 reads length-1 .. 0.
                    for (var s = 0; s < length; s++)
                    {
                        var t = d == 0 ? s : length - 1 - s;
                        (h, c) = Step(spec, cell, input[t], h, c, ref smallest);
                        h.CopyTo(output[t], d * p);
                    }
                    h.CopyTo(hN, state * p);
                    if (cN is not null) c.CopyTo(cN, state * hidden);
                }
                input = output;
            }
            for (var t = 0; t < length; t++) input[t].CopyTo(y, (t * batch + b) * dirs * p);
        }
        return new Result(y, hN, cN, smallest);
    }

    private static (double[] H, double[] C) Step(RnnSpec spec, CellWeights w, double[] x, double[] h, double[] c, ref double smallest) =>
        spec.Cell switch
        {
            RnnCellKind.RnnTanh or RnnCellKind.RnnRelu => (RnnStep(spec, w, x, h, ref smallest), c),
            RnnCellKind.Lstm => LstmStep(spec, w, x, h, c),
            _ => (GruStep(spec, w, x, h), c),
        };

    /// <summary>h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu.</summary>
    private static double[] RnnStep(RnnSpec spec, CellWeights w, double[] x, double[] h, ref double smallest)
    {
        var next = new double[spec.HiddenSize];
        for (var j = 0; j < spec.HiddenSize; j++)
        {
            var a = w.InputRow(j, x) + w.HiddenRow(j, h);
            if (spec.Cell == RnnCellKind.RnnRelu)
            {
                smallest = Math.Min(smallest, Math.Abs(a));
                next[j] = Math.Max(0, a);
            }
            else next[j] = Math.Tanh(a);
        }
        return next;
    }

    /// <summary>
    /// a = W_ih x + b_ih + W_hh h + b_hh, split into blocks i, f, g, o of H rows;
    /// i = sigmoid(a_i + w_ci * c), f = sigmoid(a_f + w_cf * c), g = tanh(a_g),
    /// c' = f * c + i * g, o = sigmoid(a_o + w_co * c'), m = o * tanh(c'),
    /// h' = W_hr m with projection, else h' = m. Peephole terms exist only with peepholes:
    /// i and f see the old cell state, o sees the new one (Gers and Schmidhuber).
    /// </summary>
    private static (double[] H, double[] C) LstmStep(RnnSpec spec, CellWeights w, double[] x, double[] h, double[] c)
    {
        var n = spec.HiddenSize;
        var nextC = new double[n];
        var m = new double[n];
        for (var j = 0; j < n; j++)
        {
            double ai = w.InputRow(j, x) + w.HiddenRow(j, h);
            double af = w.InputRow(n + j, x) + w.HiddenRow(n + j, h);
            double ag = w.InputRow(2 * n + j, x) + w.HiddenRow(2 * n + j, h);
            double ao = w.InputRow(3 * n + j, x) + w.HiddenRow(3 * n + j, h);
            var i = Sigmoid(ai + w.PeepholeI(j) * c[j]);
            var f = Sigmoid(af + w.PeepholeF(j) * c[j]);
            var g = Math.Tanh(ag);
            nextC[j] = f * c[j] + i * g;
            var o = Sigmoid(ao + w.PeepholeO(j) * nextC[j]);
            m[j] = o * Math.Tanh(nextC[j]);
        }
        if (spec.ProjSize == 0) return (m, nextC);
        var projected = new double[spec.ProjSize];
        for (var q = 0; q < spec.ProjSize; q++)
            for (var j = 0; j < n; j++) projected[q] += w.Projection[q * n + j] * m[j];
        return (projected, nextC);
    }

    /// <summary>
    /// r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz);
    /// reset after (PyTorch): n = tanh(W_in x + b_in + r * (W_hn h + b_hn));
    /// reset before (Cho et al.): n = tanh(W_in x + b_in + W_hn (r * h) + b_hn);
    /// h' = (1 - z) * n + z * h.
    /// </summary>
    private static double[] GruStep(RnnSpec spec, CellWeights w, double[] x, double[] h)
    {
        var n = spec.HiddenSize;
        var r = new double[n];
        var z = new double[n];
        for (var j = 0; j < n; j++)
        {
            r[j] = Sigmoid(w.InputRow(j, x) + w.HiddenRow(j, h));
            z[j] = Sigmoid(w.InputRow(n + j, x) + w.HiddenRow(n + j, h));
        }
        var resetH = new double[n];
        for (var j = 0; j < n; j++) resetH[j] = r[j] * h[j];
        var next = new double[n];
        for (var j = 0; j < n; j++)
        {
            var candidate = spec.GruVariant == GruVariant.ResetAfter
                ? Math.Tanh(w.InputRow(2 * n + j, x) + r[j] * w.HiddenRow(2 * n + j, h))
                : Math.Tanh(w.InputRow(2 * n + j, x) + w.HiddenRow(2 * n + j, resetH));
            next[j] = (1 - z[j]) * candidate + z[j] * h[j];
        }
        return next;
    }

    private static double Sigmoid(double a) => 1 / (1 + Math.Exp(-a));

    /// <summary>One direction of one layer, looked up by PyTorch name.</summary>
    private sealed class CellWeights
    {
        private readonly double[] _weightIh, _weightHh;
        private readonly double[]? _biasIh, _biasHh, _ci, _cf, _co;
        private readonly int _inputSize, _stateSize;

        public CellWeights(RnnSpec spec, IReadOnlyDictionary<string, double[]> weights, int layer, int direction)
        {
            string Name(string kind) => kind + "_l" + layer + (direction == 1 ? "_reverse" : "");
            double[]? Optional(string kind) => weights.TryGetValue(Name(kind), out var v) ? v : null;
            _inputSize = layer == 0 ? spec.InputSize : spec.OutputSize;
            _stateSize = spec.StateSize;
            _weightIh = weights[Name("weight_ih")];
            _weightHh = weights[Name("weight_hh")];
            _biasIh = Optional("bias_ih");
            _biasHh = Optional("bias_hh");
            Projection = Optional("weight_hr") ?? [];
            _ci = Optional("weight_ci");
            _cf = Optional("weight_cf");
            _co = Optional("weight_co");
        }

        /// <summary>weight_hr [P, H], or empty.</summary>
        public double[] Projection { get; }

        /// <summary>W_ih[row, :] x + b_ih[row].</summary>
        public double InputRow(int row, double[] x)
        {
            var sum = _biasIh?[row] ?? 0;
            for (var j = 0; j < _inputSize; j++) sum += _weightIh[row * _inputSize + j] * x[j];
            return sum;
        }

        /// <summary>W_hh[row, :] h + b_hh[row].</summary>
        public double HiddenRow(int row, double[] h)
        {
            var sum = _biasHh?[row] ?? 0;
            for (var j = 0; j < _stateSize; j++) sum += _weightHh[row * _stateSize + j] * h[j];
            return sum;
        }

        public double PeepholeI(int j) => _ci?[j] ?? 0;

        public double PeepholeF(int j) => _cf?[j] ?? 0;

        public double PeepholeO(int j) => _co?[j] ?? 0;
    }
}
