using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Training;

public class InitTests
{
    private static readonly CpuBackend Cpu = new();

    /// <summary>
    /// Float64 orthogonalisation of a random matrix loses a few digits when the draw is badly
    /// conditioned (3e-12 seen at H = 8 in a CI rehearsal); a non-orthogonal block is off by O(1).
    /// </summary>
    private const double OrthonormalTolerance = 1e-9;

    [Theory]
    [InlineData(RnnCellKind.Lstm)]
    [InlineData(RnnCellKind.Gru)]
    [InlineData(RnnCellKind.RnnTanh)]
    public void OrthogonalGateBlocksSatisfyWWTransposeEqualsIdentity(RnnCellKind cell)
    {
        var rng = TestRandom.Create();
        var h = rng.Next(3, 9);
        using var stack = new RnnStack(Cpu, new RnnSpec(cell, 5, h, NumLayers: 2), DType.Float64, (ulong)rng.Next());
        RecurrentInitializer.Apply(stack, RecurrentInit.Orthogonal, false, (ulong)rng.Next());
        for (var k = 0; k < 2; k++)
        {
            var w = stack.LayerWeights(k).Directions[0].WeightHh.ToFloat64Array();
            for (var g = 0; g < cell.GateCount(); g++)
            {
                var block = w.AsSpan(g * h * h, h * h);
                for (var i = 0; i < h; i++)
                    for (var j = 0; j < h; j++)
                    {
                        var dot = 0.0;
                        for (var c = 0; c < h; c++) dot += block[i * h + c] * block[j * h + c];
                        Assert.True(Math.Abs(dot - (i == j ? 1 : 0)) < OrthonormalTolerance, $"layer {k} gate {g}: (W W^T)[{i},{j}] = {dot} (seed {TestRandom.Seed})");
                    }
            }
        }
    }

    [Fact]
    public void OrthogonalTallMatrixHasOrthonormalColumnsAndWideOneOrthonormalRows()
    {
        var rng = TestRandom.Create();
        foreach (var (rows, cols) in new[] { (7, 3), (3, 7) })
        {
            var w = Init.OrthogonalMatrix(rows, cols, (ulong)rng.Next());
            var n = Math.Min(rows, cols);
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                {
                    var dot = 0.0;
                    if (rows > cols) for (var r = 0; r < rows; r++) dot += w[r * cols + i] * w[r * cols + j];
                    else for (var c = 0; c < cols; c++) dot += w[i * cols + c] * w[j * cols + c];
                    Assert.True(Math.Abs(dot - (i == j ? 1 : 0)) < OrthonormalTolerance, $"[{rows}, {cols}] entry ({i}, {j}) = {dot}");
                }
        }
    }

    [Fact]
    public void IdentityInitialisationGivesAnIdentityRecurrenceAndZeroBiases()
    {
        var rng = TestRandom.Create();
        var h = rng.Next(2, 8);
        using var stack = new RnnStack(Cpu, new RnnSpec(RnnCellKind.RnnRelu, 3, h), DType.Float64, (ulong)rng.Next());
        var inputWeights = stack.LayerWeights(0).Directions[0].WeightIh.ToFloat64Array();
        RecurrentInitializer.Apply(stack, RecurrentInit.Identity, false, 0);
        var d = stack.LayerWeights(0).Directions[0];
        var w = d.WeightHh.ToFloat64Array();
        for (var i = 0; i < h; i++)
            for (var j = 0; j < h; j++) Assert.Equal(i == j ? 1.0 : 0.0, w[i * h + j]);
        Assert.All(d.BiasIh!.ToFloat64Array(), b => Assert.Equal(0.0, b));
        Assert.All(d.BiasHh!.ToFloat64Array(), b => Assert.Equal(0.0, b));
        Assert.Equal(inputWeights, d.WeightIh.ToFloat64Array());
    }

    [Fact]
    public void ForgetBiasSetsOnlyTheForgetBlockToOneInTotal()
    {
        var rng = TestRandom.Create();
        var h = rng.Next(2, 6);
        using var stack = new RnnStack(Cpu, new RnnSpec(RnnCellKind.Lstm, 3, h), DType.Float64, (ulong)rng.Next());
        var d = stack.LayerWeights(0).Directions[0];
        var (ihBefore, hhBefore) = (d.BiasIh!.ToFloat64Array(), d.BiasHh!.ToFloat64Array());
        RecurrentInitializer.Apply(stack, RecurrentInit.Default, forgetBias: true, 0);
        var (ih, hh) = (d.BiasIh!.ToFloat64Array(), d.BiasHh!.ToFloat64Array());
        for (var r = 0; r < 4 * h; r++)
        {
            var forget = r >= h && r < 2 * h;
            Assert.Equal(forget ? 1.0 : ihBefore[r], ih[r]);
            Assert.Equal(forget ? 0.0 : hhBefore[r], hh[r]);
        }
    }

    [Fact]
    public void IdentityOnAGatedCellAndForgetBiasOutsideLstmAreRefused()
    {
        using var gru = new RnnStack(Cpu, new RnnSpec(RnnCellKind.Gru, 3, 4));
        Assert.Contains("identity", Assert.Throws<ArgumentException>(() => RecurrentInitializer.Apply(gru, RecurrentInit.Identity, false, 0)).Message);
        Assert.Contains("forget-gate bias needs an lstm", Assert.Throws<ArgumentException>(() => RecurrentInitializer.Apply(gru, RecurrentInit.Default, true, 0)).Message);
    }

    [Fact]
    public void LayerDefaultsFollowPyTorch()
    {
        var rng = TestRandom.Create();
        int inputs = rng.Next(20, 40), outputs = rng.Next(20, 40);
        using var linear = new Linear(Cpu, inputs, outputs, DType.Float64, "decoder", (ulong)rng.Next());
        var bound = 1 / Math.Sqrt(inputs);
        var w = linear.Weight.Value.ToFloat64Array();
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.True(w.Max() > 0.8 * bound && w.Min() < -0.8 * bound, "linear weights should fill U(-1/sqrt(I), 1/sqrt(I))");
        Assert.Equal(["decoder.weight", "decoder.bias"], new[] { linear.Weight.Name, linear.Bias.Name });

        using var embedding = new Embedding(Cpu, 50, 40, DType.Float64, "embedding", (ulong)rng.Next());
        var e = embedding.Weight.Value.ToFloat64Array();
        double mean = e.Average(), variance = e.Select(v => (v - mean) * (v - mean)).Average();
        // N(0, 1) over 2000 draws: the sample mean and variance are within a few standard errors.
        Assert.InRange(mean, -0.12, 0.12);
        Assert.InRange(variance, 0.85, 1.15);
    }
}
