using Xunit;

namespace GpuRnn.Tests.Ops;

/// <summary>
/// SGD, Adam/AdamW and RMSprop steps against the update rules of torch.optim written out below in
/// float64, over a few steps with a fresh random gradient each step; and SumOfSquares.
/// </summary>
public class OptimizerTests
{
    public static TheoryData<string, DType> Cases => OpCases.NamesAndTypes;

    private const int Steps = 4;
    private static readonly Shape ParameterShape = new(3, 7);

    [Theory, MemberData(nameof(Cases))]
    public void SgdStepsFollowTorchOptimSgd(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        SgdSettings[] variants =
        [
            new(),
            new(WeightDecay: 0.05),
            new(Momentum: 0.9),
            new(Momentum: 0.8, WeightDecay: 0.02, Nesterov: true),
        ];
        foreach (var settings in variants)
        {
            const double lr = 0.1;
            var (parameter, p) = OpCases.Random(backend, rng, ParameterShape, dtype);
            using var _ = parameter;
            using var velocity = settings.Momentum != 0 ? backend.Allocate(ParameterShape, dtype) : null;
            var buf = new double[p.Length];
            for (var step = 1; step <= Steps; step++)
            {
                var (gradient, g) = OpCases.Random(backend, rng, ParameterShape, dtype);
                using (gradient) backend.SgdStep(parameter, gradient, velocity, settings, lr);
                // torch.optim.SGD, dampening 0:
                //   g = g + wd * p;  buf = mu * buf + g (buf = g at step 1);
                //   g = nesterov ? g + mu * buf : buf;  p = p - lr * g
                for (var i = 0; i < p.Length; i++)
                {
                    var d = g[i] + settings.WeightDecay * p[i];
                    if (settings.Momentum != 0)
                    {
                        buf[i] = step == 1 ? d : settings.Momentum * buf[i] + d;
                        d = settings.Nesterov ? d + settings.Momentum * buf[i] : buf[i];
                    }
                    p[i] -= lr * d;
                }
            }
            var tolerance = OpCases.ForwardTolerance(dtype);
            Tolerance.AssertClose(parameter.ToFloat64Array(), p, tolerance, $"parameter after {Steps} steps of {settings}");
            if (velocity is not null) Tolerance.AssertClose(velocity.ToFloat64Array(), buf, tolerance, $"momentum buffer after {Steps} steps of {settings}");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void AdamAndAdamWStepsFollowTorchOptim(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        AdamSettings[] variants =
        [
            new(),
            new(Beta1: 0.8, Beta2: 0.95, Epsilon: 1e-6, WeightDecay: 0.1),
            new(WeightDecay: 0.1, Decoupled: true),
        ];
        foreach (var s in variants)
        {
            const double lr = 0.01;
            var (parameter, p) = OpCases.Random(backend, rng, ParameterShape, dtype);
            using var _ = parameter;
            using var mTensor = backend.Allocate(ParameterShape, dtype);
            using var vTensor = backend.Allocate(ParameterShape, dtype);
            double[] m = new double[p.Length], v = new double[p.Length];
            for (var step = 1; step <= Steps; step++)
            {
                var (gradient, g) = OpCases.Random(backend, rng, ParameterShape, dtype);
                using (gradient) backend.AdamStep(parameter, gradient, mTensor, vTensor, s, lr, step);
                // torch.optim.Adam:  g = g + wd * p          torch.optim.AdamW:  p = p * (1 - lr * wd)
                //   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
                //   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
                double bc1 = 1 - Math.Pow(s.Beta1, step), bc2 = 1 - Math.Pow(s.Beta2, step);
                for (var i = 0; i < p.Length; i++)
                {
                    var grad = g[i];
                    if (s.Decoupled) p[i] *= 1 - lr * s.WeightDecay;
                    else grad += s.WeightDecay * p[i];
                    m[i] = s.Beta1 * m[i] + (1 - s.Beta1) * grad;
                    v[i] = s.Beta2 * v[i] + (1 - s.Beta2) * grad * grad;
                    p[i] -= lr / bc1 * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(bc2) + s.Epsilon);
                }
            }
            var tolerance = OpCases.ForwardTolerance(dtype);
            Tolerance.AssertClose(parameter.ToFloat64Array(), p, tolerance, $"parameter after {Steps} steps of {s}");
            Tolerance.AssertClose(mTensor.ToFloat64Array(), m, tolerance, $"first moment after {Steps} steps of {s}");
            Tolerance.AssertClose(vTensor.ToFloat64Array(), v, tolerance, $"second moment after {Steps} steps of {s}");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void RmsPropStepsFollowTorchOptimRmsProp(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        RmsPropSettings[] variants =
        [
            new(),
            new(Alpha: 0.9, Epsilon: 1e-6, WeightDecay: 0.01, Momentum: 0.9),
        ];
        foreach (var s in variants)
        {
            const double lr = 0.01;
            var (parameter, p) = OpCases.Random(backend, rng, ParameterShape, dtype);
            using var _ = parameter;
            using var squareAverage = backend.Allocate(ParameterShape, dtype);
            using var momentum = s.Momentum != 0 ? backend.Allocate(ParameterShape, dtype) : null;
            double[] sq = new double[p.Length], buf = new double[p.Length];
            for (var step = 1; step <= Steps; step++)
            {
                var (gradient, g) = OpCases.Random(backend, rng, ParameterShape, dtype);
                using (gradient) backend.RmsPropStep(parameter, gradient, squareAverage, momentum, s, lr);
                // torch.optim.RMSprop (not centered):
                //   g = g + wd * p;  sq = alpha sq + (1 - alpha) g^2;  avg = sqrt(sq) + eps
                //   momentum > 0: buf = mu buf + g / avg;  p = p - lr * buf      else: p = p - lr * g / avg
                for (var i = 0; i < p.Length; i++)
                {
                    var grad = g[i] + s.WeightDecay * p[i];
                    sq[i] = s.Alpha * sq[i] + (1 - s.Alpha) * grad * grad;
                    var avg = Math.Sqrt(sq[i]) + s.Epsilon;
                    if (s.Momentum != 0)
                    {
                        buf[i] = s.Momentum * buf[i] + grad / avg;
                        p[i] -= lr * buf[i];
                    }
                    else p[i] -= lr * grad / avg;
                }
            }
            var tolerance = OpCases.ForwardTolerance(dtype);
            Tolerance.AssertClose(parameter.ToFloat64Array(), p, tolerance, $"parameter after {Steps} steps of {s}");
            Tolerance.AssertClose(squareAverage.ToFloat64Array(), sq, tolerance, $"square average after {Steps} steps of {s}");
            if (momentum is not null) Tolerance.AssertClose(momentum.ToFloat64Array(), buf, tolerance, $"momentum buffer after {Steps} steps of {s}");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void SumOfSquaresAddsEveryElementOfEveryTensor(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        var (a, av) = OpCases.Random(backend, rng, new Shape(37), dtype);
        var (b, bv) = OpCases.Random(backend, rng, new Shape(3, 5), dtype, scale: 10);
        var (c, cv) = OpCases.Random(backend, rng, new Shape(2, 1, 3), dtype, scale: 0.01);
        using (a)
        using (b)
        using (c)
        {
            var expected = 0.0;
            foreach (var v in av.Concat(bv).Concat(cv)) expected += v * v;
            Tolerance.AssertClose([backend.SumOfSquares([a, b, c])], [expected], OpCases.ForwardTolerance(dtype), "sum of squares of three tensors");
            Assert.Equal(0.0, backend.SumOfSquares([]));
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void MissingStateAndMismatchedSizesAreRefusedWithTheExpectedValue(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        using var parameter = backend.Allocate(new Shape(2, 3), dtype);
        using var gradient = backend.Allocate(new Shape(2, 3), dtype);
        using var shortGradient = backend.Allocate(new Shape(5), dtype);
        using var m = backend.Allocate(new Shape(2, 3), dtype);
        using var v = backend.Allocate(new Shape(2, 3), dtype);

        var velocity = Assert.ThrowsAny<ArgumentException>(() => backend.SgdStep(parameter, gradient, null, new SgdSettings(Momentum: 0.9), 0.1));
        Assert.Contains("velocity", velocity.Message);
        var size = Assert.ThrowsAny<ArgumentException>(() => backend.SgdStep(parameter, shortGradient, null, new SgdSettings(), 0.1));
        Assert.Contains("[2, 3]", size.Message);
        Assert.Contains("[5]", size.Message);
        var step = Assert.ThrowsAny<ArgumentException>(() => backend.AdamStep(parameter, gradient, m, v, new AdamSettings(), 0.1, 0));
        Assert.Contains("0", step.Message);
        var buffer = Assert.ThrowsAny<ArgumentException>(() => backend.RmsPropStep(parameter, gradient, m, null, new RmsPropSettings(Momentum: 0.5), 0.1));
        Assert.Contains("momentum", buffer.Message);
        using var ids = new int[6].ToDevice(backend, new Shape(6));
        var type = Assert.ThrowsAny<ArgumentException>(() => backend.SumOfSquares([parameter, ids]));
        Assert.Contains("int32", type.Message);
    }
}
