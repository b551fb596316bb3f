using GpuRnn.Cpu;
using GpuRnn.Tests.GradientChecks;
using Xunit;

namespace GpuRnn.Tests.Training;

/// <summary>The model's composed layers (embedding, stack, decoder, loss) checked as a whole.</summary>
public class CharRnnModelTests
{
    private static readonly CpuBackend Cpu = new();

    [Theory]
    [InlineData(RnnCellKind.Lstm, 2)]
    [InlineData(RnnCellKind.Gru, 1)]
    [InlineData(RnnCellKind.RnnTanh, 2)]
    public void GradientsOfTheMeanLossMatchCentralFiniteDifferences(RnnCellKind cell, int layers)
    {
        var rng = TestRandom.Create();
        int vocab = 5, steps = 3, batch = 2;
        var spec = new CharModelSpec(cell, vocab, 3, 4, layers);
        using var model = new CharRnnModel(Cpu, spec, (ulong)rng.Next(), DType.Float64);
        var inputs = Enumerable.Range(0, steps * batch).Select(_ => rng.Next(vocab)).ToArray();
        var targets = Enumerable.Range(0, steps * batch).Select(_ => rng.Next(vocab)).ToArray();
        using var start = model.CreateState(batch);
        TensorExtensions.Upload(start.Hidden, TestRandom.Uniform(rng, start.Hidden.ElementCount, 0.5));
        if (start.Cell is not null) TensorExtensions.Upload(start.Cell, TestRandom.Uniform(rng, start.Cell.ElementCount, 0.5));

        double MeanLoss()
        {
            using var s = model.CreateState(batch);
            s.CopyFrom(start.Hidden, start.Cell);
            return model.Evaluate(inputs, targets, steps, s).Loss;
        }

        model.ZeroGrad();
        using (var s = model.CreateState(batch))
        {
            s.CopyFrom(start.Hidden, start.Cell);
            var trained = model.TrainStep(inputs, targets, steps, s).Loss;
            Assert.Equal(MeanLoss(), trained, 1e-12);
        }
        // The shared checker: a fourth-order difference (a plain central one at h = 1e-6 left rounding
        // noise of about 1e-10, over 1e-6 of a small tensor's norm for some seeds, e.g. 1553866963) and
        // an absolute floor for tiny gradients.
        foreach (var p in model.Parameters)
        {
            var analytic = p.Gradient.ToFloat64Array();
            GradientChecker.AssertMatches(analytic, GradientChecker.Numeric(p.Value, MeanLoss), $"{cell} d loss / d {p.Name}");
        }
    }

    [Fact]
    public void ParametersCarryPyTorchModuleNamesInStateDictOrder()
    {
        using var model = new CharRnnModel(Cpu, new CharModelSpec(RnnCellKind.Lstm, 7, 3, 4, 2));
        Assert.Equal(
            ["embedding.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
             "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1", "decoder.weight", "decoder.bias"],
            model.Parameters.Select(p => p.Name));
        Assert.Equal(model.Architecture.ParameterCount, model.Parameters.Sum(p => p.Value.ElementCount));
    }

    [Fact]
    public void DropoutMasksAreReproducibleFromTheCounter()
    {
        var rng = TestRandom.Create();
        var spec = new CharModelSpec(RnnCellKind.Lstm, 6, 4, 5, 2, Dropout: 0.3);
        var seed = (ulong)rng.Next();
        var inputs = Enumerable.Range(0, 12).Select(_ => rng.Next(6)).ToArray();
        var targets = Enumerable.Range(0, 12).Select(_ => rng.Next(6)).ToArray();
        double[] Run(ulong counter, out ulong after)
        {
            using var model = new CharRnnModel(Cpu, spec, seed);
            using var state = model.CreateState(3);
            model.DropoutCounter = counter;
            model.ZeroGrad();
            model.TrainStep(inputs, targets, 4, state);
            after = model.DropoutCounter;
            return model.Parameters[0].Gradient.ToFloat64Array();
        }
        var a = Run(0, out var afterA);
        var b = Run(0, out _);
        var c = Run(afterA, out _);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        // The output of layer 0 (between the layers) and the top output, each [T, B, H], were masked.
        Assert.Equal((ulong)(2 * 4 * 3 * 5), afterA);
    }
}
