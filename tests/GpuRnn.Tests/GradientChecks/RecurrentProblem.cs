using Xunit;

namespace GpuRnn.Tests.GradientChecks;

/// <summary>
/// One random instance of an <see cref="RnnCase"/> in float64 on the CPU backend: the stack with
/// random weights, x, optional h0/c0 and lengths, and the scalar loss
/// L = sum(y * Wy) + sum(hN * Wh) + sum(cN * Wc) with random Wy, Wh, Wc, whose gradients with
/// respect to y, hN and cN are exactly Wy, Wh and Wc. Sizes are small (T &lt;= 5, B &lt;= 3, I &lt;= 4,
/// H &lt;= 4) so that finite differences over every element stay fast.
/// </summary>
public sealed class RecurrentProblem : IDisposable
{
    /// <summary>
    /// Relu cases redraw their inputs until every pre-activation is this far from the kink. The
    /// finite differences move one value by at most 2h = 2e-4, which moves a pre-activation by
    /// 2e-4 times its sensitivity to that value (below 2 at these sizes), so none crosses 0.
    /// </summary>
    public const double ReluMargin = 2e-3;

    // The loss's weights, which are also the gradients handed to Backward: Wy [T, B, D*P], Wh [L*D, B, P], Wc [L*D, B, H].
    private readonly Tensor _dOutput, _dHidden;
    private readonly Tensor? _dCell;
    private readonly double[] _wy, _wh;
    private readonly double[]? _wc;

    private RecurrentProblem(RnnCase @case, Random rng)
    {
        Case = @case;
        Backend = TestBackends.Get("cpu");
        Steps = rng.Next(3, 6);
        Batch = @case.VariableLengths ? 3 : rng.Next(1, 4);
        var inputSize = rng.Next(2, 5);
        var hiddenSize = @case.Projection ? 4 : rng.Next(2, 5);
        Spec = @case.Spec(inputSize, hiddenSize, projSize: rng.Next(1, hiddenSize));
        Stack = new RnnStack(Backend, Spec, DType.Float64);
        Lengths = @case.VariableLengths ? new SequenceLengths(UnsortedLengths(rng, Steps)) : null;
        LengthValues = Lengths?.Values.ToArray() ?? Enumerable.Repeat(Steps, Batch).ToArray();

        var layersTimesDirections = Spec.NumLayers * Spec.Directions;
        X = Draw(rng, new Shape(Steps, Batch, Spec.InputSize));
        H0 = @case.InitialStates ? Draw(rng, new Shape(layersTimesDirections, Batch, Spec.StateSize)) : null;
        C0 = @case.InitialStates && Spec.Cell == RnnCellKind.Lstm ? Draw(rng, new Shape(layersTimesDirections, Batch, Spec.HiddenSize)) : null;
        _dOutput = Draw(rng, new Shape(Steps, Batch, Spec.OutputSize));
        _dHidden = Draw(rng, new Shape(layersTimesDirections, Batch, Spec.StateSize));
        _dCell = Spec.Cell == RnnCellKind.Lstm ? Draw(rng, new Shape(layersTimesDirections, Batch, Spec.HiddenSize)) : null;
        (_wy, _wh, _wc) = (_dOutput.ToFloat64Array(), _dHidden.ToFloat64Array(), _dCell?.ToFloat64Array());
        DrawWeights(rng);
    }

    /// <summary>The configuration.</summary>
    public RnnCase Case { get; }

    /// <summary>The CPU backend.</summary>
    public IBackend Backend { get; }

    /// <summary>The architecture with this instance's sizes.</summary>
    public RnnSpec Spec { get; }

    /// <summary>The stack under test, float64.</summary>
    public RnnStack Stack { get; }

    /// <summary>T.</summary>
    public int Steps { get; }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>x [T, B, I].</summary>
    public Tensor X { get; }

    /// <summary>h0 [L*D, B, P] or null.</summary>
    public Tensor? H0 { get; }

    /// <summary>c0 [L*D, B, H] or null.</summary>
    public Tensor? C0 { get; }

    /// <summary>The lengths given to the stack, or null when every sequence has T steps.</summary>
    public SequenceLengths? Lengths { get; }

    /// <summary>Every sequence's length, T when <see cref="Lengths"/> is null.</summary>
    public int[] LengthValues { get; }

    /// <summary>What a failure message needs to identify the case.</summary>
    public string Description => $"{Case} (T={Steps}, B={Batch}, I={Spec.InputSize}, H={Spec.HiddenSize}" +
        $"{(Spec.ProjSize > 0 ? $", P={Spec.ProjSize}" : "")}, lengths [{string.Join(", ", LengthValues)}])";

    /// <summary>A fresh instance; for relu, one whose pre-activations all keep <see cref="ReluMargin"/> from 0.</summary>
    public static RecurrentProblem Create(RnnCase @case, Random rng)
    {
        for (var attempt = 0; ; attempt++)
        {
            var problem = new RecurrentProblem(@case, rng);
            // Central differences straddling relu's kink would measure a mix of two slopes.
            if (@case.Cell != CellVariant.RnnRelu || problem.Reference().SmallestReluInput >= ReluMargin) return problem;
            problem.Dispose();
            Assert.True(attempt < 100, $"no relu instance with every pre-activation {ReluMargin} from 0 in 100 draws (seed {TestRandom.Seed})");
        }
    }

    /// <summary>The stack's forward: y [T, B, D*P], hN [L*D, B, P], cN [L*D, B, H] or null.</summary>
    public (double[] Output, double[] Hidden, double[]? Cell) Forward(bool training = false)
    {
        using var output = Stack.Forward(X, H0, C0, Lengths, training);
        return (output.Output.ToFloat64Array(), output.Hidden.ToFloat64Array(), output.Cell?.ToFloat64Array());
    }

    /// <summary>The naive float64 reference on the same weights and inputs.</summary>
    public NaiveRecurrentReference.Result Reference()
    {
        var weights = Stack.StateDict().ToDictionary(p => p.Key, p => p.Value.ToFloat64Array());
        return NaiveRecurrentReference.Run(Spec, weights, X.ToFloat64Array(), Steps, Batch, LengthValues,
            H0?.ToFloat64Array(), C0?.ToFloat64Array());
    }

    /// <summary>L = sum(y * Wy) + sum(hN * Wh) + sum(cN * Wc), from an inference forward.</summary>
    public double Loss()
    {
        var (y, hN, cN) = Forward();
        var loss = Dot(y, _wy) + Dot(hN, _wh);
        if (cN is not null) loss += Dot(cN, _wc!);
        return loss;
    }

    /// <summary>
    /// dL/d(every parameter), dL/dx, dL/dh0 and dL/dc0 from a training forward and Backward(Wy, Wh, Wc),
    /// by name: PyTorch's parameter names, then <c>x</c>, <c>h0</c>, <c>c0</c>. Parameter gradients
    /// are zeroed first unless <paramref name="accumulate"/>.
    /// </summary>
    public IReadOnlyDictionary<string, double[]> AnalyticGradients(bool accumulate = false)
    {
        if (!accumulate) Stack.ZeroGrad();
        Stack.Forward(X, H0, C0, Lengths, training: true).Dispose();
        using var inputs = Stack.Backward(_dOutput, _dHidden, _dCell);
        var result = Stack.Parameters.ToDictionary(p => p.Name, p => p.Gradient.ToFloat64Array());
        result["x"] = (inputs.Input ?? throw new InvalidOperationException("Backward returned no dx")).ToFloat64Array();
        if (H0 is not null) result["h0"] = (inputs.Hidden ?? throw new InvalidOperationException("Backward returned no dh0 although h0 was given")).ToFloat64Array();
        if (C0 is not null) result["c0"] = (inputs.Cell ?? throw new InvalidOperationException("Backward returned no dc0 although c0 was given")).ToFloat64Array();
        return result;
    }

    /// <summary>Every tensor the loss has a gradient for, by the names <see cref="AnalyticGradients"/> uses.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> Differentiable()
    {
        foreach (var p in Stack.Parameters) yield return (p.Name, p.Value);
        yield return ("x", X);
        if (H0 is not null) yield return ("h0", H0);
        if (C0 is not null) yield return ("c0", C0);
    }

    /// <summary>
    /// The gradient check: every analytic gradient against central finite differences of
    /// <see cref="Loss"/> over every element, whole tensor and element by element.
    /// </summary>
    public void AssertGradientsMatchFiniteDifferences()
    {
        var analytic = AnalyticGradients();
        foreach (var (name, tensor) in Differentiable())
        {
            Assert.True(analytic.ContainsKey(name), $"{Description}: no analytic gradient for {name}");
            var numeric = GradientChecker.Numeric(tensor, Loss);
            GradientChecker.AssertMatches(analytic[name], numeric, $"{Description}: d loss / d {name}");
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Stack.Dispose();
        X.Dispose();
        H0?.Dispose();
        C0?.Dispose();
        _dOutput.Dispose();
        _dHidden.Dispose();
        _dCell?.Dispose();
    }

    private void DrawWeights(Random rng)
    {
        // Like PyTorch's U(-1/sqrt(H), 1/sqrt(H)) but drawn from this run's seed, and wide enough
        // (|w| < 0.6) that gates and peepholes matter.
        var weights = Stack.Parameters.ToDictionary(p => p.Name, p => TestRandom.Tensor(rng, p.Value.Shape, DType.Float64, scale: 0.6));
        Stack.LoadStateDict(weights);
    }

    private Tensor Draw(Random rng, Shape shape) => TestRandom.Tensor(rng, shape, DType.Float64).ToDevice(Backend);

    /// <summary>B = 3 lengths: T, 1 and one in between, in an order that is not descending.</summary>
    private static int[] UnsortedLengths(Random rng, int steps)
    {
        int[] lengths = [steps, 1, rng.Next(2, steps)];
        do rng.Shuffle(lengths);
        while (lengths[0] >= lengths[1] && lengths[1] >= lengths[2]);
        return lengths;
    }

    private static double Dot(double[] a, double[] b)
    {
        Assert.Equal(b.Length, a.Length);
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
