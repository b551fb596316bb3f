using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Cpu;

/// <summary>
/// The CPU backend keeps the fused forward's packed weights between inference calls while the
/// weights are unchanged. Every way of changing weights must be seen by the next forward: each
/// case changes them, then compares the forward's output with that of a fresh backend loaded with
/// the same state dict (the same code without any cache history, so the bits must be equal).
/// </summary>
public class PackedWeightCacheTests
{
    private const int Steps = 6, Input = 20, Hidden = 40;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var cell in new[] { "lstm", "gru" })
        {
            data.Add(cell, 1); // the small-batch path: panels split within each step
            data.Add(cell, 9); // the row split
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void EveryKindOfWeightWriteIsSeenByTheNextForward(string cell, int batch)
    {
        var rng = TestRandom.Create();
        using var backend = new CpuBackend(2);
        using var stack = new RnnStack(backend, Spec(cell), DType.Float32, seed: (ulong)rng.Next());
        var xHost = TestRandom.Tensor(rng, new Shape(Steps, batch, Input), DType.Float32);
        using var x = xHost.ToDevice(backend);
        var first = Output(stack, x);
        Assert.True(first.AsSpan().SequenceEqual(Output(stack, x)), $"{cell}: a second forward on unchanged weights differs (seed {TestRandom.Seed})");
        AssertMatchesFresh(stack, xHost, "unchanged weights");

        var whh = stack.Parameters.First(p => p.Name == "weight_hh_l0");
        whh.Value.CopyFrom(TestRandom.Tensor(rng, whh.Value.Shape, DType.Float32, 0.3));
        AssertMatchesFresh(stack, xHost, "after an upload to weight_hh_l0");

        var bias = stack.Parameters.First(p => p.Name == "bias_ih_l1_reverse");
        backend.Fill(bias.Value, 0.25);
        AssertMatchesFresh(stack, xHost, "after a fill of bias_ih_l1_reverse");

        var wih = stack.Parameters.First(p => p.Name == "weight_ih_l1");
        using (var rows = wih.Value.Slice(Hidden, 2))
            rows.CopyFrom(TestRandom.Tensor(rng, rows.Shape, DType.Float32));
        AssertMatchesFresh(stack, xHost, "after a write to two rows of weight_ih_l1 through a view");

        var replaced = stack.StateDict().ToDictionary(kv => kv.Key, kv => TestRandom.Tensor(rng, kv.Value.Shape, DType.Float32, 0.2));
        stack.LoadStateDict(replaced);
        AssertMatchesFresh(stack, xHost, "after LoadStateDict");

        using var optimizer = Optimizer.Create(stack.Parameters, new OptimizerConfig(OptimizerKind.Adam));
        using (var output = stack.Forward(x, training: true))
        using (var dy = TestRandom.Tensor(rng, output.Output.Shape, DType.Float32).ToDevice(backend))
        {
            stack.ZeroGrad();
            using (stack.Backward(dy)) { }
        }
        optimizer.Step(0.05);
        AssertMatchesFresh(stack, xHost, "after an Adam step");
    }

    [Fact]
    public void AModelCreatedAfterAnotherWasDisposedUsesItsOwnWeights()
    {
        // The pool hands the disposed model's arrays to the next one; the cache must not mistake them.
        var rng = TestRandom.Create();
        using var backend = new CpuBackend(2);
        var xHost = TestRandom.Tensor(rng, new Shape(Steps, 1, Input), DType.Float32);
        using var x = xHost.ToDevice(backend);
        for (var i = 0; i < 3; i++)
        {
            using var stack = new RnnStack(backend, Spec("lstm"), DType.Float32, seed: (ulong)rng.Next());
            Output(stack, x);
            AssertMatchesFresh(stack, xHost, $"model {i + 1}");
        }
    }

    [Fact]
    public void ConcurrentInferenceCallsOnOneModelAllGetItsOutput()
    {
        var rng = TestRandom.Create();
        using var backend = new CpuBackend(2);
        using var stack = new RnnStack(backend, Spec("gru"), DType.Float32, seed: (ulong)rng.Next());
        var xHost = TestRandom.Tensor(rng, new Shape(Steps, 1, Input), DType.Float32);
        var expected = Fresh(stack, xHost);
        var outputs = new double[8][];
        Parallel.For(0, outputs.Length, i =>
        {
            using var x = xHost.ToDevice(backend);
            outputs[i] = Output(stack, x);
        });
        foreach (var output in outputs)
            Assert.True(output.AsSpan().SequenceEqual(expected), $"a concurrent forward differs from a fresh backend's (seed {TestRandom.Seed})");
    }

    private static RnnSpec Spec(string cell) => cell == "lstm"
        ? new(RnnCellKind.Lstm, Input, Hidden, NumLayers: 2, Bidirectional: true)
        : new(RnnCellKind.Gru, Input, Hidden, NumLayers: 2, Bidirectional: true);

    private static double[] Output(RnnStack stack, Tensor x)
    {
        using var output = stack.Forward(x);
        return output.Output.ToFloat64Array();
    }

    /// <summary>The output of a new backend and model loaded with <paramref name="stack"/>'s current weights.</summary>
    private static double[] Fresh(RnnStack stack, HostTensor xHost)
    {
        using var backend = new CpuBackend(2);
        using var fresh = new RnnStack(backend, stack.Spec, DType.Float32);
        fresh.LoadStateDict(stack.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value));
        using var x = xHost.ToDevice(backend);
        return Output(fresh, x);
    }

    private static void AssertMatchesFresh(RnnStack stack, HostTensor xHost, string when)
    {
        var expected = Fresh(stack, xHost);
        using var x = xHost.ToDevice(stack.Backend);
        Assert.True(Output(stack, x).AsSpan().SequenceEqual(expected), $"{when}: the forward differs from a fresh backend's (seed {TestRandom.Seed})");
    }
}
