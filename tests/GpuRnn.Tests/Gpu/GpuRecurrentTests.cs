using GpuRnn.Gpu.Rnn;
using Xunit;

namespace GpuRnn.Tests.Gpu;

/// <summary>
/// Every recurrent cell and option of the ILGPU backend against the CPU backend: forward within
/// 1e-5 and every gradient within 1e-4 (relative), at odd sizes that fill no tile (H 37, B 3,
/// T 11) and at tile-aligned ones, one and two directions, variable lengths, initial states,
/// both time-loop algorithms.
/// </summary>
public class GpuRecurrentTests
{
    /// <summary>The cell configurations: every cell and option the CPU backend has.</summary>
    public static readonly string[] Cells =
        ["rnn_tanh", "rnn_relu", "lstm", "lstm_peepholes", "lstm_proj", "lstm_proj_peepholes", "gru", "gru_reset_before"];

    /// <summary>The cells the persistent kernel serves (one recurrent product per step).</summary>
    public static readonly string[] PersistentCells = ["rnn_tanh", "rnn_relu", "lstm", "lstm_peepholes", "gru"];

    /// <summary>odd: H 37, B 3, T 11, I 19 (every tile partial); aligned: H 32, B 8, T 8, I 32 (every tile full); persistent tests add tiny: H 3, B 2.</summary>
    public static readonly string[] Sizes = ["odd", "aligned"];

    public static TheoryData<string, string, string, bool> StepwiseCases()
    {
        var data = new TheoryData<string, string, string, bool>();
        foreach (var backend in TestBackends.Accelerated)
            foreach (var cell in Cells)
                foreach (var size in Sizes)
                    foreach (var bidirectional in new[] { false, true })
                        data.Add(backend, cell, size, bidirectional);
        return data;
    }

    public static TheoryData<string, string, string> PersistentCases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var backend in TestBackends.Accelerated)
            foreach (var cell in PersistentCells)
                foreach (var size in (string[])[.. Sizes, "tiny"])
                    data.Add(backend, cell, size);
        return data;
    }

    public static TheoryData<string, string> InferenceCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var backend in TestBackends.Accelerated)
            foreach (var cell in Cells)
                data.Add(backend, cell);
        return data;
    }

    [Theory]
    [MemberData(nameof(StepwiseCases))]
    public void StepwiseForwardAndBackwardMatchTheCpu(string backend, string cell, string size, bool bidirectional)
    {
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        var rng = TestRandom.Create();
        // One direction: full lengths with initial states and final-state gradients;
        // two: variable lengths (one sequence full) with them too, so the reverse direction starts mid-sequence.
        var c = Case(rng, gpu, cell, size, bidirectional, variableLengths: bidirectional, states: true);
        RunTrainingStep(c, gpu, GpuRecurrentAlgorithm.Stepwise, $"{cell} {size} {(bidirectional ? "bidirectional, lengths" : "forward")} stepwise");
    }

    [Theory]
    [MemberData(nameof(PersistentCases))]
    public void PersistentForwardAndBackwardMatchTheCpu(string backend, string cell, string size)
    {
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        var rng = TestRandom.Create();
        var c = Case(rng, gpu, cell, size, bidirectional: true, variableLengths: true, states: true);
        Assert.NotNull(gpu.PlanPersistent(new RecurrentCall(c.Layer, c.Steps, c.Batch, default, default, default)));
        Assert.NotNull(gpu.PlanPersistent(new RecurrentCall(c.Layer, c.Steps, c.Batch, default, default, default), backward: true));
        RunTrainingStep(c, gpu, GpuRecurrentAlgorithm.Persistent, $"{cell} {size} bidirectional, lengths, persistent");
    }

    [Theory]
    [MemberData(nameof(InferenceCases))]
    public void InferenceForwardMatchesTheCpuWithoutInitialStates(string backend, string cell)
    {
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        var rng = TestRandom.Create();
        var c = Case(rng, gpu, cell, "odd", bidirectional: true, variableLengths: true, states: false);
        var cpu = c.Forward(GpuReference.Cpu, training: false);
        Assert.Null(cpu.Reserve);
        foreach (var algorithm in new[] { GpuRecurrentAlgorithm.Stepwise, GpuRecurrentAlgorithm.Auto })
        {
            var g = c.Forward(gpu, training: false, (b, l, w, x, len, h0, c0, y, hn, cn, tr) => gpu.RnnForward(l, w, x, len, h0, c0, y, hn, cn, tr, algorithm));
            Assert.Null(g.Reserve);
            c.AssertForwardMatches(g, cpu, $"{cell} inference {algorithm}");
        }
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void AStackOfLayersWithDropoutTrainsLikeTheCpu(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        var spec = new RnnSpec(RnnCellKind.Lstm, InputSize: 5, HiddenSize: 9, NumLayers: 2, Bidirectional: true, ProjSize: 4);
        var seed = (ulong)rng.NextInt64();
        using var cpuStack = new RnnStack(GpuReference.Cpu, spec, seed: seed, dropout: 0.3);
        using var gpuStack = new RnnStack(gpu, spec, seed: seed, dropout: 0.3);
        var x = GpuReference.Random(rng, gpu, new Shape(6, 2, 5));
        var lengths = new SequenceLengths([6, 4]);
        var cpuOut = cpuStack.Forward(x.Cpu, lengths: lengths, training: true);
        var gpuOut = gpuStack.Forward(x.Gpu, lengths: lengths, training: true);
        GpuReference.AssertMatches(gpuOut.Output, cpuOut.Output, Tolerance.Forward32, "stack output");
        var dy = GpuReference.Random(rng, gpu, cpuOut.Output.Shape);
        var cpuGrad = cpuStack.Backward(dy.Cpu);
        var gpuGrad = gpuStack.Backward(dy.Gpu);
        GpuReference.AssertMatches(gpuGrad.Input!, cpuGrad.Input!, Tolerance.Gradient32, "stack dx");
        for (var i = 0; i < cpuStack.Parameters.Count; i++)
            GpuReference.AssertMatches(gpuStack.Parameters[i].Gradient, cpuStack.Parameters[i].Gradient, Tolerance.Gradient32, $"stack d{cpuStack.Parameters[i].Name}");
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void ATrainingStepRepeatedGivesIdenticalBits(string backend)
    {
        // No atomics in any sum: every product, bias gradient and reduction has a fixed order.
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        var c = Case(TestRandom.Create(), gpu, "lstm_peepholes", "odd", bidirectional: true, variableLengths: true, states: true);
        double[][] Run()
        {
            foreach (var d in c.GradientsGpu.Directions)
                foreach (var (_, t) in d.Present()) gpu.Fill(t, 0);
            var outputs = c.Forward(gpu, training: true);
            var grads = c.Backward(gpu, outputs.Reserve!);
            outputs.Reserve!.Dispose();
            return [outputs.Y.ToFloat64Array(), grads.DX.ToFloat64Array(), .. c.GradientsGpu.Directions.SelectMany(d => d.Present()).Select(p => p.Tensor.ToFloat64Array())];
        }
        var first = Run();
        var second = Run();
        for (var i = 0; i < first.Length; i++) Assert.Equal(first[i], second[i]);
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void ABadInputSizeIsRefusedNamingBothSizes(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var c = Case(TestRandom.Create(), gpu, "gru", "odd", bidirectional: false, variableLengths: false, states: false);
        using var x = gpu.Allocate(new Shape(4, 3, 18), DType.Float32);
        using var y = gpu.Allocate(new Shape(4, 3, c.Layer.OutputSize), DType.Float32);
        using var hN = gpu.Allocate(new Shape(1, 3, c.Layer.StateSize), DType.Float32);
        var e = Assert.Throws<ArgumentException>(() => gpu.RnnForward(c.Layer, c.WeightsGpu, x, null, null, null, y, hN, null, false));
        Assert.Contains("input size 18 does not match the layer's input size 19", e.Message);
    }

    private static void RunTrainingStep(RecurrentCase c, GpuRnn.Gpu.GpuBackend backend, GpuRecurrentAlgorithm algorithm, string what)
    {
        var cpu = c.Forward(GpuReference.Cpu, training: true);
        var gpu = c.Forward(backend, training: true, algorithm);
        c.AssertForwardMatches(gpu, cpu, what);
        var cpuGrad = c.Backward(GpuReference.Cpu, cpu.Reserve!);
        var gpuGrad = c.Backward(backend, gpu.Reserve!, algorithm);
        c.AssertBackwardMatches(gpuGrad, cpuGrad, what);
        gpu.Reserve!.Dispose();
    }

    internal static RecurrentCase Case(Random rng, IBackend gpu, string cell, string size, bool bidirectional, bool variableLengths, bool states)
    {
        var (steps, batch, input, hidden) = size switch
        {
            "odd" => (11, 3, 19, 37),
            "aligned" => (8, 8, 32, 32),
            // So few products that the persistent kernel splits each dot product over several threads.
            _ => (5, 2, 4, 3),
        };
        var variant = CellVariants.Parse(cell);
        var proj = variant.Projection() ? (size == "odd" ? 13 : 16) : 0;
        var layer = new RnnLayerDesc(variant.Kind(), input, hidden, proj, bidirectional ? 2 : 1, Bias: true,
            Peepholes: variant.Peepholes(), GruVariant: variant.GruVariant());
        int[]? lengths = null;
        if (variableLengths)
        {
            lengths = new int[batch];
            for (var b = 0; b < batch; b++) lengths[b] = rng.Next(1, steps + 1);
            lengths[rng.Next(batch)] = steps;
            lengths[(lengths.AsSpan().IndexOf(steps) + 1) % batch] = 1;
        }
        return new RecurrentCase(rng, gpu, layer, steps, batch, lengths, states);
    }
}
