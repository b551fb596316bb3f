using Xunit;

namespace GpuRnn.Tests.GradientChecks;

/// <summary>
/// The sizes of a <see cref="RecurrentProblem"/> and the range of its weights, U(-WeightScale, WeightScale).
/// </summary>
/// <param name="Steps">T.</param>
/// <param name="Batch">B.</param>
/// <param name="InputSize">I.</param>
/// <param name="HiddenSize">H.</param>
/// <param name="ProjSize">P for projecting variants (ignored by the others).</param>
/// <param name="WeightScale">Bound of the uniform weights.</param>
public sealed record ProblemSizes(int Steps, int Batch, int InputSize, int HiddenSize, int ProjSize, double WeightScale)
{
    /// <summary>
    /// T &lt;= 5, B &lt;= 3, I &lt;= 4, H &lt;= 4, drawn at random, so that finite differences over every
    /// element stay fast; weights up to 0.6 so that gates and peepholes matter.
    /// </summary>
    public static ProblemSizes Small(RnnCase @case, Random rng)
    {
        int steps = rng.Next(3, 6), batch = @case.VariableLengths ? 3 : rng.Next(1, 4), input = rng.Next(2, 5);
        // LN(c) over H = 2 units is nearly a sign function (x̂ = ±d / sqrt(d² + eps)), too curved for the
        // difference stencil where the two cells are close: layer-norm cases take H >= 3.
        var hidden = @case.Projection ? 4 : rng.Next(@case.Options?.LayerNorm == true ? 3 : 2, 5);
        return new(steps, batch, input, hidden, rng.Next(1, hidden), 0.6);
    }

    /// <summary>
    /// Wide enough that the float32 kernels run their eight-lane bodies and their scalar tails
    /// (H = 19 = 2 * 8 + 3, I = 11, P = 7), for comparisons that need no finite differences;
    /// weights near PyTorch's 1/sqrt(H).
    /// </summary>
    public static ProblemSizes Wide { get; } = new(6, 5, 11, 19, 7, 0.3);
}

/// <summary>
/// One random instance of an <see cref="RnnCase"/> on the CPU backend: the stack with random
/// weights, x, optional h0/c0 and lengths, and the scalar loss
/// L = sum(y * Wy) + sum(hN * Wh) + sum(cN * Wc) with random Wy, Wh, Wc, whose gradients with
/// respect to y, hN and cN are exactly Wy, Wh and Wc.
/// </summary>
public sealed class RecurrentProblem : IDisposable
{
    /// <summary>
    /// Relu cases of the finite-difference checks redraw their inputs until every pre-activation
    /// is this far from the kink. The differences move one value by at most 2h = 2e-4, which moves
    /// a pre-activation by 2e-4 times its sensitivity to that value, far less at these sizes.
    /// </summary>
    public const double ReluMargin = 2e-3;

    /// <summary>
    /// The same for float32 against float64 comparisons: well above the ~1e-6 by which float32
    /// rounding moves a pre-activation, so no unit is on different sides of the kink in the two.
    /// </summary>
    public const double ReluMarginForFloat32 = 1e-4;

    // The loss's weights, which are also the gradients handed to Backward: Wy [T, B, D*P], Wh [L*D, B, P], Wc [L*D, B, H].
    private readonly Tensor _dOutput, _dHidden;
    private readonly Tensor? _dCell;
    private readonly double[] _wy, _wh;
    private readonly double[]? _wc;

    /// <summary>Builds the instance; <paramref name="values"/> supplies every tensor by name (x, h0, c0, wy, wh, wc, or a parameter's name).</summary>
    private RecurrentProblem(RnnCase @case, ProblemSizes sizes, DType dtype, int[]? lengths, Func<string, Shape, HostTensor> values)
    {
        Case = @case;
        Sizes = sizes;
        Backend = TestBackends.Get("cpu");
        Steps = sizes.Steps;
        Batch = sizes.Batch;
        Spec = @case.Spec(sizes.InputSize, sizes.HiddenSize, sizes.ProjSize);
        Stack = new RnnStack(Backend, Spec, dtype);
        Lengths = lengths is null ? null : new SequenceLengths(lengths);
        LengthValues = lengths ?? Enumerable.Repeat(Steps, Batch).ToArray();

        var states = Spec.NumLayers * Spec.Directions;
        var isLstm = Spec.Cell == RnnCellKind.Lstm;
        Tensor Upload(string name, Shape shape) => values(name, shape).ConvertTo(dtype).ToDevice(Backend);
        X = Upload("x", new Shape(Steps, Batch, Spec.InputSize));
        H0 = @case.InitialStates ? Upload("h0", new Shape(states, Batch, Spec.StateSize)) : null;
        C0 = @case.InitialStates && isLstm ? Upload("c0", new Shape(states, Batch, Spec.HiddenSize)) : null;
        _dOutput = Upload("wy", new Shape(Steps, Batch, Spec.OutputSize));
        _dHidden = Upload("wh", new Shape(states, Batch, Spec.StateSize));
        _dCell = isLstm ? Upload("wc", new Shape(states, Batch, Spec.HiddenSize)) : null;
        (_wy, _wh, _wc) = (_dOutput.ToFloat64Array(), _dHidden.ToFloat64Array(), _dCell?.ToFloat64Array());
        Stack.LoadStateDict(Stack.Parameters.ToDictionary(p => p.Name, p => values(p.Name, p.Value.Shape)));
    }

    /// <summary>The configuration.</summary>
    public RnnCase Case { get; }

    /// <summary>The sizes.</summary>
    public ProblemSizes Sizes { get; }

    /// <summary>The CPU backend.</summary>
    public IBackend Backend { get; }

    /// <summary>The architecture with this instance's sizes.</summary>
    public RnnSpec Spec { get; }

    /// <summary>The stack under test.</summary>
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
    public string Description => $"{Case} ({Stack.DType.DisplayName()}, T={Steps}, B={Batch}, I={Spec.InputSize}, H={Spec.HiddenSize}" +
        $"{(Spec.ProjSize > 0 ? $", P={Spec.ProjSize}" : "")}, lengths [{string.Join(", ", LengthValues)}])";

    /// <summary>A small float64 instance for finite differences; relu pre-activations all keep <see cref="ReluMargin"/> from 0.</summary>
    public static RecurrentProblem Create(RnnCase @case, Random rng) =>
        CreateRandom(@case, rng, () => ProblemSizes.Small(@case, rng), DType.Float64, ReluMargin);

    /// <summary>A <see cref="ProblemSizes.Wide"/> instance of <paramref name="dtype"/>; relu pre-activations keep <see cref="ReluMarginForFloat32"/> from 0.</summary>
    public static RecurrentProblem CreateWide(RnnCase @case, Random rng, DType dtype) =>
        CreateRandom(@case, rng, () => ProblemSizes.Wide, dtype, ReluMarginForFloat32);

    /// <summary>The same problem in another dtype, with exactly the values this one holds (so a float64 twin of a float32 problem computes the same function).</summary>
    public RecurrentProblem WithDType(DType dtype)
    {
        var held = Stack.StateDict().ToDictionary(p => p.Key, p => p.Value);
        held["x"] = X.ToHost();
        if (H0 is not null) held["h0"] = H0.ToHost();
        if (C0 is not null) held["c0"] = C0.ToHost();
        held["wy"] = _dOutput.ToHost();
        held["wh"] = _dHidden.ToHost();
        if (_dCell is not null) held["wc"] = _dCell.ToHost();
        return new RecurrentProblem(Case, Sizes, dtype, Lengths?.Values.ToArray(), (name, _) => held[name]);
    }

    private static RecurrentProblem CreateRandom(RnnCase @case, Random rng, Func<ProblemSizes> sizes, DType dtype, double reluMargin)
    {
        for (var attempt = 0; ; attempt++)
        {
            var s = sizes();
            var lengths = @case.VariableLengths ? UnsortedLengths(rng, s.Steps, s.Batch) : null;
            var inputNames = new HashSet<string> { "x", "h0", "c0", "wy", "wh", "wc" };
            var problem = new RecurrentProblem(@case, s, dtype, lengths,
                (name, shape) => TestRandom.Tensor(rng, shape, DType.Float64, scale: inputNames.Contains(name) ? 1 : s.WeightScale));
            // Differences (finite, or between float32 and float64) straddling relu's kink would compare two slopes.
            if (@case.Cell != CellVariant.RnnRelu || problem.Reference().SmallestReluInput >= reluMargin) return problem;
            problem.Dispose();
            Assert.True(attempt < 100, $"no relu instance with every pre-activation {reluMargin} from 0 in 100 draws (seed {TestRandom.Seed})");
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

    /// <summary>
    /// L = sum(y * Wy) + sum(hN * Wh) + sum(cN * Wc), from an inference forward; with zoneout from a
    /// training forward with the zoneout counter at 0, so that every evaluation sees the masks the
    /// analytic gradient's forward drew.
    /// </summary>
    public double Loss()
    {
        var zoneout = Case.Options?.HasZoneout ?? false;
        if (zoneout) Stack.ZoneoutCounter = 0;
        var (y, hN, cN) = Forward(training: zoneout);
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
        Stack.ZoneoutCounter = 0;
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

    /// <summary>Lengths T and 1 and others between, in an order that is not descending (PyTorch would need enforce_sorted=False).</summary>
    private static int[] UnsortedLengths(Random rng, int steps, int batch)
    {
        var lengths = new int[batch];
        lengths[0] = steps;
        lengths[1] = 1;
        for (var b = 2; b < batch; b++) lengths[b] = rng.Next(1, steps + 1);
        do rng.Shuffle(lengths);
        while (IsDescending(lengths));
        return lengths;
    }

    private static bool IsDescending(int[] values)
    {
        for (var i = 1; i < values.Length; i++) if (values[i - 1] < values[i]) return false;
        return true;
    }

    private static double Dot(double[] a, double[] b)
    {
        Assert.Equal(b.Length, a.Length);
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
