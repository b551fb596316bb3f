using GpuRnn.Tests.GradientChecks;
using Xunit;

namespace GpuRnn.Tests.CellOptions;

/// <summary>
/// What the cell options do besides their gradients: zoneout in evaluation is deterministic and
/// differs from training, the float32 path agrees with float64, specs and weights round-trip through
/// safetensors and invalid options are refused by name (GpuCellOptionsTests: what the GPU backends refuse).
/// </summary>
public class CellOptionsBehaviourTests
{
    private static RnnSpec LstmSpec => new(RnnCellKind.Lstm, 3, 5, NumLayers: 2, Bidirectional: true, Peepholes: true,
        LayerNorm: true, Zoneout: 0.2, ZoneoutCell: 0.3, CellClip: 0.5);

    [Fact]
    public void Float32MatchesFloat64WithEveryOption()
    {
        foreach (var cell in new[] { CellVariant.LstmProjectionPeepholes, CellVariant.GruResetAfter })
        {
            var options = CellOptionsGradientTests.Options("all", cell);
            using var wide = RecurrentProblem.CreateWide(new RnnCase(cell, 2, true, true, true, true, options), TestRandom.Create(), DType.Float32);
            using var twin = wide.WithDType(DType.Float64);
            foreach (var training in new[] { false, true })
            {
                wide.Stack.ZoneoutCounter = twin.Stack.ZoneoutCounter = 0;
                var (y32, h32, c32) = wide.Forward(training);
                var (y64, h64, c64) = twin.Forward(training);
                Tolerance.AssertClose(y32, y64, 1e-4, $"{wide.Description}: y, training {training}");
                Tolerance.AssertClose(h32, h64, 1e-4, $"{wide.Description}: hN, training {training}");
                if (c32 is not null) Tolerance.AssertClose(c32, c64!, 1e-4, $"{wide.Description}: cN, training {training}");
            }
        }
    }

    [Fact]
    public void ZoneoutEvaluationIsTheExpectationAndTrainingDrawsMasks()
    {
        var rng = TestRandom.Create();
        var backend = TestBackends.Get("cpu");
        var spec = new RnnSpec(RnnCellKind.Gru, 3, 4, Zoneout: 0.5);
        using var stack = new RnnStack(backend, spec, DType.Float64, seed: (ulong)rng.Next());
        using var plain = new RnnStack(backend, spec with { Zoneout = 0 }, DType.Float64);
        plain.LoadStateDict(stack.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value));
        using var x = TestRandom.Tensor(rng, new Shape(1, 2, 3), DType.Float64).ToDevice(backend);
        using var h0 = TestRandom.Tensor(rng, new Shape(1, 2, 4), DType.Float64).ToDevice(backend);
        // One step: evaluation gives z * h0 + (1 - z) * h~, with h~ the plain GRU's step.
        using var eval = stack.Forward(x, h0);
        using var next = plain.Forward(x, h0);
        var expected = next.Hidden.ToFloat64Array().Zip(h0.ToFloat64Array(), (n, p) => 0.5 * p + 0.5 * n).ToArray();
        Tolerance.AssertClose(eval.Hidden.ToFloat64Array(), expected, 1e-14, "zoneout 0.5 in evaluation");
        // Training: every unit is either h0 or h~ exactly.
        using var train = stack.Forward(x, h0, training: true);
        var (t, p0, n0) = (train.Hidden.ToFloat64Array(), h0.ToFloat64Array(), next.Hidden.ToFloat64Array());
        for (var i = 0; i < t.Length; i++)
            Assert.True(t[i] == p0[i] || Math.Abs(t[i] - n0[i]) < 1e-14, $"unit {i}: {t[i]} is neither h0 {p0[i]} nor the new h {n0[i]}");
    }

    [Fact]
    public void SpecAndWeightsRoundTripThroughSafetensors()
    {
        var backend = TestBackends.Get("cpu");
        using var stack = new RnnStack(backend, LstmSpec, seed: 7);
        Assert.Contains(stack.Parameters, p => p.Name == "layer_norm_cell_bias_l1_reverse");
        Assert.Contains(stack.Parameters, p => p.Name == "layer_norm_ih_weight_l0");
        var path = Path.Combine(Path.GetTempPath(), $"gpurnn-cells-{Guid.NewGuid():N}.safetensors");
        try
        {
            RnnModelFile.Save(path, stack);
            using var loaded = RnnModelFile.Load(path, backend);
            Assert.Equal(LstmSpec, loaded.Spec);
            var reloaded = loaded.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
            foreach (var (name, tensor) in stack.StateDict())
                Assert.Equal(tensor.ToFloat64Array(), reloaded[name].ToFloat64Array());
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("rnn_tanh", true, 0, 0, 0, "layer_norm")]
    [InlineData("gru_reset_before", true, 0, 0, 0, "reset_after")]
    [InlineData("gru", false, 0, 0.2, 0, "zoneout_cell")]
    [InlineData("gru", false, 0, 0, 1.0, "cell_clip")]
    [InlineData("lstm", false, 1.0, 0, 0, "zoneout must be in [0, 1)")]
    [InlineData("lstm", false, 0, 0, -1.0, "cell_clip must be")]
    public void InvalidOptionsAreRefusedByName(string cell, bool layerNorm, double zoneout, double zoneoutCell, double clip, string expected)
    {
        var variant = CellVariants.Parse(cell);
        var spec = new RnnSpec(variant.Kind(), 2, 3, GruVariant: variant.GruVariant(), LayerNorm: layerNorm, Zoneout: zoneout,
            ZoneoutCell: zoneoutCell, CellClip: clip);
        var e = Assert.Throws<ArgumentException>(() => spec.Validate());
        Assert.Contains(expected, e.Message);
    }
}

/// <summary>The ONNX exporter refuses what ONNX's recurrent operators cannot express, naming the option.</summary>
public class CellOptionsOnnxTests
{
    [Theory]
    [InlineData(true, 0, 0, "--layer-norm")]
    [InlineData(false, 0.1, 0, "--zoneout")]
    [InlineData(false, 0, 2.0, "--cell-clip")]
    public void ExportRefusesCellOptions(bool layerNorm, double zoneout, double clip, string expected)
    {
        var backend = TestBackends.Get("cpu");
        using var stack = new RnnStack(backend, new RnnSpec(RnnCellKind.Lstm, 2, 3, LayerNorm: layerNorm, Zoneout: zoneout, CellClip: clip));
        var stateDict = stack.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(stack.Spec, stateDict));
        Assert.Contains(expected, e.Message);
    }
}
