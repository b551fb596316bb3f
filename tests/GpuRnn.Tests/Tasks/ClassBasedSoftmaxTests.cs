using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Tasks;

/// <summary>The class-based softmax against the full softmax and against plain loops, on every backend.</summary>
public class ClassBasedSoftmaxTests
{
    private static readonly CpuBackend Cpu = new();

    private static Tensor Hidden(IBackend backend, Random rng, int n, int h, DType dtype) =>
        TestRandom.Tensor(rng, new Shape(n, h), dtype).ToDevice(backend);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WhenTheFactorisationIsExactItGivesTheFullSoftmaxsProbabilitiesAndLoss(bool oneClass)
    {
        // One class: p(class) = 1, so p(w) is the word layer's full softmax. One class per word:
        // p(w | class) = 1, so p(w) is the class layer's full softmax.
        var rng = TestRandom.Create();
        int v = rng.Next(4, 9), h = rng.Next(2, 6), n = rng.Next(3, 8);
        var classes = WordClasses.FromClassOf(oneClass ? new int[v] : Enumerable.Range(0, v).ToArray(), v);
        using var head = new ClassBasedSoftmax(Cpu, h, classes, DType.Float64, "output", (ulong)rng.Next());
        using var full = new FullSoftmaxHead(Cpu, h, v, DType.Float64, "output", 0);
        var source = oneClass ? head.WordLayer : head.ClassLayer;
        full.Linear.Weight.Value.CopyFrom(source.Weight.Value.ToHost());
        full.Linear.Bias.Value.CopyFrom(source.Bias.Value.ToHost());
        using var hidden = Hidden(Cpu, rng, n, h, DType.Float64);
        var targets = Enumerable.Range(0, n).Select(i => i == 1 ? -1 : rng.Next(v)).ToArray();

        Tolerance.AssertClose(head.LogProbabilities(hidden), full.LogProbabilities(hidden), Tolerance.Exact64, "log-probabilities");
        var a = head.Loss(hidden, targets, null, n - 1);
        var b = full.Loss(hidden, targets, null, n - 1);
        Assert.Equal(b.LossSum, a.LossSum, 1e-12);
        Assert.Equal(b.Count, a.Count);
        Assert.Equal(b.Correct, a.Correct);
    }

    [Theory]
    [MemberData(nameof(TestBackends.Names), MemberType = typeof(TestBackends))]
    public void ProbabilitiesLossAndGradientsMatchTheFactorisationComputedOnTheHost(string backendName)
    {
        var backend = TestBackends.Get(backendName);
        var rng = TestRandom.Create();
        int v = rng.Next(8, 20), h = rng.Next(3, 7), n = rng.Next(5, 12);
        var counts = Enumerable.Range(0, v).Select(i => (long)(1000 / (i + 1)) + rng.Next(3)).ToArray();
        var classes = WordClasses.FromFrequencies(counts, rng.Next(2, 5));
        var seed = (ulong)rng.Next();
        var targets = Enumerable.Range(0, n).Select(i => i % 4 == 3 ? -1 : rng.Next(v)).ToArray();
        var counted = SoftmaxCrossEntropyLoss.CountTargets(targets);
        var x = TestRandom.Uniform(rng, n * h);

        using var head = new ClassBasedSoftmax(backend, h, classes, DType.Float32, "output", seed);
        using var hidden = HostTensor.FromArray(x, new Shape(n, h)).ConvertTo(DType.Float32).ToDevice(backend);
        using var dHidden = backend.Allocate(new Shape(n, h), DType.Float32);
        foreach (var p in head.Parameters) backend.Fill(p.Gradient, 0);
        var trained = head.Loss(hidden, targets, dHidden, counted);
        var evaluated = head.Loss(hidden, targets, null, counted);
        var logProbabilities = head.LogProbabilities(hidden);

        // The reference: the same parameters in float64 on the CPU, and log p(w) written out by hand.
        using var reference = new ClassBasedSoftmax(Cpu, h, classes, DType.Float64, "output", seed);
        for (var i = 0; i < head.Parameters.Count; i++) reference.Parameters[i].Value.CopyFrom(head.Parameters[i].Value.ToHost().ConvertTo(DType.Float64));
        var wc = head.ClassLayer.Weight.Value.ToFloat64Array();
        var bc = head.ClassLayer.Bias.Value.ToFloat64Array();
        var ww = head.WordLayer.Weight.Value.ToFloat64Array();
        var bw = head.WordLayer.Bias.Value.ToFloat64Array();
        var expected = new double[n * v];
        for (var r = 0; r < n; r++)
        {
            double Dot(double[] w, int row) => Enumerable.Range(0, h).Sum(k => w[row * h + k] * x[r * h + k]);
            var classLogits = Enumerable.Range(0, classes.Count).Select(c => Dot(wc, c) + bc[c]).ToArray();
            var classNorm = LogSumExp(classLogits);
            for (var c = 0; c < classes.Count; c++)
            {
                var words = Enumerable.Range(classes.Start(c), classes.Size(c)).Select(w => Dot(ww, w) + bw[w]).ToArray();
                var norm = LogSumExp(words);
                for (var j = 0; j < words.Length; j++) expected[r * v + classes.Start(c) + j] = classLogits[c] - classNorm + words[j] - norm;
            }
        }
        Tolerance.AssertClose(logProbabilities, expected, Tolerance.Forward32, $"{backendName} log-probabilities");
        var loss = -Enumerable.Range(0, n).Where(r => targets[r] >= 0).Sum(r => expected[r * v + targets[r]]);
        Assert.Equal(loss, evaluated.LossSum, Math.Abs(loss) * 1e-5);
        Assert.Equal(loss, trained.LossSum, Math.Abs(loss) * 1e-5);
        Assert.Equal(counted, evaluated.Count);
        for (var r = 0; r < n; r++)
            Assert.InRange(Enumerable.Range(0, v).Sum(w => Math.Exp(logProbabilities[r * v + w])), 1 - 1e-5, 1 + 1e-5);

        using var hidden64 = HostTensor.FromArray(x, new Shape(n, h)).ToDevice(Cpu);
        using var dHidden64 = Cpu.Allocate(new Shape(n, h), DType.Float64);
        foreach (var p in reference.Parameters) Cpu.Fill(p.Gradient, 0);
        reference.Loss(hidden64, targets, dHidden64, counted);
        Tolerance.AssertClose(dHidden.ToFloat64Array(), dHidden64.ToFloat64Array(), Tolerance.Gradient32, $"{backendName} dHidden");
        for (var i = 0; i < head.Parameters.Count; i++)
            Tolerance.AssertClose(head.Parameters[i].Gradient.ToFloat64Array(), reference.Parameters[i].Gradient.ToFloat64Array(),
                Tolerance.Gradient32, $"{backendName} d {head.Parameters[i].Name}");
    }

    private static double LogSumExp(double[] values)
    {
        var max = values.Max();
        return max + Math.Log(values.Sum(z => Math.Exp(z - max)));
    }

    [Fact]
    public void FrequencyBinningGivesEachClassAboutAnEqualShareOfTheText()
    {
        // Shares 0.4, 0.2, 0.1 x 4: with 4 classes the bins close after 0.25, 0.5, 0.75 of the mass.
        var classes = WordClasses.FromFrequencies([40, 20, 10, 10, 10, 10], 4);
        Assert.Equal([0, 1, 2, 2, 3, 3], classes.ClassOf);
        Assert.Equal(4, classes.Count);
        Assert.Equal(2, classes.Size(3));
        // One word with most of the mass fills several shares; a class still opens after it, and none is empty.
        var skewed = WordClasses.FromFrequencies([97, 1, 1, 1], 3);
        Assert.Equal([0, 1, 2, 2], skewed.ClassOf);
        Assert.Equal(100, WordClasses.DefaultCount(10_000));
    }

    [Fact]
    public void ClassesThatAreNotRangesOfConsecutiveIdsAreRefused()
    {
        Assert.Contains("id 2 has class 0 after class 1", Assert.Throws<ArgumentException>(() => WordClasses.FromClassOf([0, 1, 0], 3)).Message);
        Assert.Contains("id 1 has class 2 after class 0", Assert.Throws<ArgumentException>(() => WordClasses.FromClassOf([0, 2, 2], 3)).Message);
        Assert.Contains("2 classes for a vocabulary of 3", Assert.Throws<ArgumentException>(() => WordClasses.FromClassOf([0, 0], 3)).Message);
        Assert.Contains("must be in [1, 3]", Assert.Throws<ArgumentException>(() => WordClasses.FromFrequencies([1, 2, 3], 4)).Message);
    }
}
