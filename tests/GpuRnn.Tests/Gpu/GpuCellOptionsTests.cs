using GpuRnn.Tests.CellOptions;
using Xunit;

namespace GpuRnn.Tests.Gpu;

/// <summary>
/// The ILGPU backends' cell options (layer norm, zoneout, cell clipping) against the CPU backend: a
/// two-layer bidirectional stack at odd sizes (H 37, not a multiple of 32; B 3; T 7; I 5) with variable
/// lengths and initial states, random layer-norm gains and biases; the evaluation forward (zoneout's
/// expectation), a training forward (the same zoneout masks from the same seed), and every gradient.
/// </summary>
public class GpuCellOptionsTests
{
    private static readonly CellVariant[] Cells =
        [CellVariant.Lstm, CellVariant.LstmPeepholes, CellVariant.LstmProjectionPeepholes, CellVariant.GruResetAfter];

    public static TheoryData<string, CellVariant, string> Cases()
    {
        var data = new TheoryData<string, CellVariant, string>();
        foreach (var backend in TestBackends.Accelerated)
            foreach (var cell in Cells)
                foreach (var options in new[] { "layer_norm", "zoneout", "clip", "all" })
                    if (options != "clip" || cell.Kind() == RnnCellKind.Lstm) data.Add(backend, cell, options);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackwardMatchTheCpu(string backend, CellVariant cell, string options)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        var o = CellOptionsGradientTests.Options(options, cell);
        var spec = new RnnSpec(cell.Kind(), InputSize: 5, HiddenSize: 37, NumLayers: 2, Bidirectional: true,
            ProjSize: cell.Projection() ? 11 : 0, Peepholes: cell.Peepholes(), GruVariant: cell.GruVariant(),
            LayerNorm: o.LayerNorm, Zoneout: o.Zoneout, ZoneoutCell: o.ZoneoutCell, CellClip: o.CellClip);
        var what = $"{cell.Name()} {options} on {backend}";
        var seed = (ulong)rng.NextInt64();
        using var cpuStack = new RnnStack(GpuReference.Cpu, spec, seed: seed);
        using var gpuStack = new RnnStack(gpu, spec, seed: seed);
        var weights = RandomiseLayerNorm(rng, cpuStack.StateDict());
        cpuStack.LoadStateDict(weights);
        gpuStack.LoadStateDict(weights);
        const int steps = 7, batch = 3;
        int states = spec.NumLayers * spec.Directions, p = spec.ProjSize > 0 ? spec.ProjSize : spec.HiddenSize;
        var x = GpuReference.Random(rng, gpu, new Shape(steps, batch, 5));
        var h0 = GpuReference.Random(rng, gpu, new Shape(states, batch, p), 0.5);
        var lstm = spec.Cell == RnnCellKind.Lstm;
        var c0 = lstm ? GpuReference.Random(rng, gpu, new Shape(states, batch, spec.HiddenSize), 0.5) : default;
        var lengths = new SequenceLengths([4, steps, 2]);

        using (var cpuEval = cpuStack.Forward(x.Cpu, h0.Cpu, c0.Cpu, lengths))
        using (var gpuEval = gpuStack.Forward(x.Gpu, h0.Gpu, c0.Gpu, lengths))
        {
            GpuReference.AssertMatches(gpuEval.Output, cpuEval.Output, Tolerance.Forward32, $"{what}: evaluation y");
            GpuReference.AssertMatches(gpuEval.Hidden, cpuEval.Hidden, Tolerance.Forward32, $"{what}: evaluation hN");
            if (lstm) GpuReference.AssertMatches(gpuEval.Cell!, cpuEval.Cell!, Tolerance.Forward32, $"{what}: evaluation cN");
        }

        cpuStack.ZeroGrad();
        gpuStack.ZeroGrad();
        using var cpuOut = cpuStack.Forward(x.Cpu, h0.Cpu, c0.Cpu, lengths, training: true);
        using var gpuOut = gpuStack.Forward(x.Gpu, h0.Gpu, c0.Gpu, lengths, training: true);
        GpuReference.AssertMatches(gpuOut.Output, cpuOut.Output, Tolerance.Forward32, $"{what}: training y");
        GpuReference.AssertMatches(gpuOut.Hidden, cpuOut.Hidden, Tolerance.Forward32, $"{what}: training hN");
        if (lstm) GpuReference.AssertMatches(gpuOut.Cell!, cpuOut.Cell!, Tolerance.Forward32, $"{what}: training cN");

        var dy = GpuReference.Random(rng, gpu, cpuOut.Output.Shape);
        var dh = GpuReference.Random(rng, gpu, cpuOut.Hidden.Shape);
        var dc = lstm ? GpuReference.Random(rng, gpu, cpuOut.Cell!.Shape) : default;
        using var cpuGrad = cpuStack.Backward(dy.Cpu, dh.Cpu, dc.Cpu);
        using var gpuGrad = gpuStack.Backward(dy.Gpu, dh.Gpu, dc.Gpu);
        GpuReference.AssertMatches(gpuGrad.Input!, cpuGrad.Input!, Tolerance.Gradient32, $"{what}: dx");
        GpuReference.AssertMatches(gpuGrad.Hidden!, cpuGrad.Hidden!, Tolerance.Gradient32, $"{what}: dh0");
        if (lstm) GpuReference.AssertMatches(gpuGrad.Cell!, cpuGrad.Cell!, Tolerance.Gradient32, $"{what}: dc0");
        Assert.Equal(cpuStack.Parameters.Count, gpuStack.Parameters.Count);
        for (var i = 0; i < cpuStack.Parameters.Count; i++)
            GpuReference.AssertMatches(gpuStack.Parameters[i].Gradient, cpuStack.Parameters[i].Gradient, Tolerance.Gradient32,
                $"{what}: d{cpuStack.Parameters[i].Name}");
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void AResetBeforeGruWithZoneoutIsRefusedByName(string backend)
    {
        var gpu = TestBackends.Get(backend);
        using var stack = new RnnStack(gpu, new RnnSpec(RnnCellKind.Gru, 2, 3, GruVariant: GruVariant.ResetBefore, Zoneout: 0.2));
        using var x = TestRandom.Tensor(TestRandom.Create(), new Shape(2, 1, 2), DType.Float32).ToDevice(gpu);
        var e = Assert.Throws<NotSupportedException>(() => stack.Forward(x).Dispose());
        Assert.Contains("--zoneout", e.Message);
        Assert.Contains("reset_before", e.Message);
    }

    /// <summary>The state dict with its layer-norm gains drawn in [0.7, 1.3] and biases in [-0.1, 0.1], so their gradients matter.</summary>
    private static Dictionary<string, HostTensor> RandomiseLayerNorm(Random rng, IReadOnlyList<KeyValuePair<string, HostTensor>> stateDict) =>
        stateDict.ToDictionary(kv => kv.Key, kv =>
        {
            if (!kv.Key.StartsWith("layer_norm_", StringComparison.Ordinal)) return kv.Value;
            var gain = kv.Key.Contains("_weight", StringComparison.Ordinal);
            var values = TestRandom.Uniform(rng, kv.Value.Shape.ElementCount, gain ? 0.3 : 0.1).Select(v => (float)(gain ? 1 + v : v)).ToArray();
            return HostTensor.FromArray(values, kv.Value.Shape);
        });
}
