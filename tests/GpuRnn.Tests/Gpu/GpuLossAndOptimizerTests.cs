using Xunit;

namespace GpuRnn.Tests.Gpu;

/// <summary>Embedding, losses, dropout, norms and optimizers against the CPU backend.</summary>
public class GpuLossAndOptimizerTests
{
    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void EmbeddingForwardAndBackwardMatchTheCpuWithPaddingAndRepeatedIds(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        int vocab = 11, dim = 7, n = 23;
        var ids = Enumerable.Range(0, n).Select(i => i % 5 == 0 ? -1 : rng.Next(0, 4)).ToArray();
        ids[1] = vocab - 1;
        var idPair = GpuReference.Pair(HostTensor.FromArray(ids, new Shape(n)), gpu);
        var table = GpuReference.Random(rng, gpu, new Shape(vocab, dim));
        var outCpu = GpuReference.Cpu.Allocate(new Shape(n, dim), DType.Float32);
        using var outGpu = gpu.Allocate(new Shape(n, dim), DType.Float32);
        GpuReference.Cpu.EmbeddingForward(idPair.Cpu, table.Cpu, outCpu);
        gpu.EmbeddingForward(idPair.Gpu, table.Gpu, outGpu);
        Assert.Equal(outCpu.ToFloat64Array(), outGpu.ToFloat64Array());

        var dOut = GpuReference.Random(rng, gpu, new Shape(n, dim));
        var dTable = GpuReference.Random(rng, gpu, new Shape(vocab, dim));
        GpuReference.Cpu.EmbeddingBackward(idPair.Cpu, dOut.Cpu, dTable.Cpu);
        gpu.EmbeddingBackward(idPair.Gpu, dOut.Gpu, dTable.Gpu);
        // Same summation order as the CPU: equal bits, not just close.
        Assert.Equal(dTable.Cpu.ToFloat64Array(), dTable.Gpu.ToFloat64Array());
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void AnIdOutsideTheVocabularyIsRefusedNamingItsPosition(string backend)
    {
        var gpu = TestBackends.Get(backend);
        using var ids = new[] { 0, 3, 12, -1 }.ToDevice(gpu, new Shape(4));
        using var table = gpu.Allocate(new Shape(5, 2), DType.Float32);
        using var output = gpu.Allocate(new Shape(4, 2), DType.Float32);
        var e = Assert.Throws<ArgumentException>(() => gpu.EmbeddingForward(ids, table, output));
        Assert.Contains("ids[2] is 12", e.Message);
        Assert.Contains("[0, 5)", e.Message);
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void SoftmaxCrossEntropyMatchesTheCpuWithIgnoredRowsAndGradientInPlace(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        int n = 9, v = 70;
        var targets = Enumerable.Range(0, n).Select(i => i == 3 ? -1 : rng.Next(0, v)).ToArray();
        var t = GpuReference.Pair(HostTensor.FromArray(targets, new Shape(n)), gpu);
        var logits = GpuReference.Random(rng, gpu, new Shape(n, v), scale: 4);
        var statsCpu = GpuReference.Cpu.Allocate(new Shape(3), DType.Float32);
        using var statsGpu = gpu.Allocate(new Shape(3), DType.Float32);
        var scale = 1.0 / (n - 1);

        GpuReference.Cpu.SoftmaxCrossEntropy(logits.Cpu, t.Cpu, null, scale, statsCpu);
        gpu.SoftmaxCrossEntropy(logits.Gpu, t.Gpu, null, scale, statsGpu);
        GpuReference.AssertMatches(statsGpu, statsCpu, Tolerance.Forward32, "cross-entropy stats, evaluation only");

        GpuReference.Cpu.SoftmaxCrossEntropy(logits.Cpu, t.Cpu, logits.Cpu, scale, statsCpu);
        gpu.SoftmaxCrossEntropy(logits.Gpu, t.Gpu, logits.Gpu, scale, statsGpu);
        GpuReference.AssertMatches(statsGpu, statsCpu, Tolerance.Forward32, "cross-entropy stats");
        GpuReference.AssertMatches(logits.Gpu, logits.Cpu, Tolerance.Gradient32, "cross-entropy gradient (aliasing the logits)");
        var grad = logits.Gpu.ToFloat64Array();
        Assert.All(grad.Skip(3 * v).Take(v), g => Assert.Equal(0.0, g));
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void SoftmaxAndSquaredErrorMatchTheCpu(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        var logits = GpuReference.Random(rng, gpu, new Shape(6, 131), scale: 3);
        var pCpu = GpuReference.Cpu.Allocate(new Shape(6, 131), DType.Float32);
        using var pGpu = gpu.Allocate(new Shape(6, 131), DType.Float32);
        var temperature = 0.5 + rng.NextDouble();
        GpuReference.Cpu.Softmax(logits.Cpu, pCpu, temperature);
        gpu.Softmax(logits.Gpu, pGpu, temperature);
        GpuReference.AssertMatches(pGpu, pCpu, Tolerance.Forward32, "softmax");

        var prediction = GpuReference.Random(rng, gpu, new Shape(1000));
        var target = GpuReference.Random(rng, gpu, new Shape(1000));
        var dCpu = GpuReference.Cpu.Allocate(new Shape(1000), DType.Float32);
        using var dGpu = gpu.Allocate(new Shape(1000), DType.Float32);
        var sCpu = GpuReference.Cpu.Allocate(new Shape(1), DType.Float32);
        using var sGpu = gpu.Allocate(new Shape(1), DType.Float32);
        GpuReference.Cpu.MeanSquaredError(prediction.Cpu, target.Cpu, dCpu, 1e-3, sCpu);
        gpu.MeanSquaredError(prediction.Gpu, target.Gpu, dGpu, 1e-3, sGpu);
        GpuReference.AssertMatches(sGpu, sCpu, Tolerance.Forward32, "squared error sum");
        GpuReference.AssertMatches(dGpu, dCpu, Tolerance.Gradient32, "squared error gradient");
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void DropoutMasksAreBitForBitTheCpus(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        var x = GpuReference.Random(rng, gpu, new Shape(7, 3, 29));
        var maskCpu = GpuReference.Cpu.Allocate(x.Cpu.Shape, DType.Float32);
        using var maskGpu = gpu.Allocate(x.Cpu.Shape, DType.Float32);
        var seed = (ulong)rng.NextInt64();
        var offset = (ulong)rng.Next(0, 1 << 20);
        var p = 0.1 + 0.5 * rng.NextDouble();
        GpuReference.Cpu.DropoutForward(x.Cpu, x.Cpu, maskCpu, p, seed, offset);
        gpu.DropoutForward(x.Gpu, x.Gpu, maskGpu, p, seed, offset);
        Assert.Equal(maskCpu.ToFloat64Array(), maskGpu.ToFloat64Array());
        Assert.Equal(x.Cpu.ToFloat64Array(), x.Gpu.ToFloat64Array());
        Assert.Contains(0.0, maskGpu.ToFloat64Array());
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void SumOfSquaresMatchesTheCpuOverSeveralTensors(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        var tensors = new[] { new Shape(37, 11), new Shape(5), new Shape(3000), new Shape(0) }.Select(s => GpuReference.Random(rng, gpu, s)).ToList();
        var expected = GpuReference.Cpu.SumOfSquares(tensors.Select(t => t.Cpu).ToList());
        var actual = gpu.SumOfSquares(tensors.Select(t => t.Gpu).ToList());
        Assert.True(Math.Abs(actual - expected) <= 1e-9 * expected, $"sum of squares {actual} vs {expected} (seed {TestRandom.Seed})");
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void OptimizerStepsMatchTheCpuOverSeveralSteps(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        var shape = new Shape(41, 3);
        var sgd = new SgdSettings(Momentum: 0.9, WeightDecay: 0.01, Nesterov: true);
        var adam = new AdamSettings(WeightDecay: 0.01);
        var adamW = new AdamSettings(WeightDecay: 0.05, Decoupled: true);
        var rms = new RmsPropSettings(WeightDecay: 0.01, Momentum: 0.5);
        var p = Enumerable.Range(0, 5).Select(_ => GpuReference.Random(rng, gpu, shape)).ToArray();
        var state = Enumerable.Range(0, 6).Select(_ => GpuReference.Pair(HostTensor.Zeros(shape, DType.Float32), gpu)).ToArray();
        for (var step = 1; step <= 3; step++)
        {
            var g = GpuReference.Random(rng, gpu, shape);
            foreach (var (b, i) in new[] { ((IBackend)GpuReference.Cpu, 0), (gpu, 1) })
            {
                Tensor P(int k) => i == 0 ? p[k].Cpu : p[k].Gpu;
                Tensor S(int k) => i == 0 ? state[k].Cpu : state[k].Gpu;
                var grad = i == 0 ? g.Cpu : g.Gpu;
                b.SgdStep(P(0), grad, S(0), sgd, 0.1);
                b.SgdStep(P(1), grad, null, default, 0.1);
                b.AdamStep(P(2), grad, S(1), S(2), adam, 1e-2, step);
                b.AdamStep(P(3), grad, S(3), S(4), adamW, 1e-2, step);
                b.RmsPropStep(P(4), grad, S(5), S(0), rms, 1e-2);
            }
        }
        string[] names = ["sgd nesterov", "sgd plain", "adam", "adamw", "rmsprop"];
        for (var k = 0; k < p.Length; k++)
            GpuReference.AssertMatches(p[k].Gpu, p[k].Cpu, Tolerance.Forward32, names[k]);
    }
}
