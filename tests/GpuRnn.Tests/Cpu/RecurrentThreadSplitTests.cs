using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Cpu;

/// <summary>
/// The CPU backend's recurrent layers split their work between threads statically (batch rows in
/// the time loop, output tiles in the weight-gradient products) and never split a sum, so one
/// thread and two must give the same bits. The sizes make every tile shape of the fused float32
/// kernels run (B = 11: row tiles of 4, 3 and, split in two, 4 + 3 + 4; H = 37: two whole panels
/// of 16 units and a partial one, or four of 8 and a partial one), which the float64 path, an
/// independent computation on exact scalar math, checks within the float32 tolerances. Batches of
/// 1 and 3 with H = 200 take the small-batch forward on two and three threads (panels split within
/// each step, the sums over x computed ahead in chunks), which must give the bits of the one-thread
/// fused pass.
/// </summary>
public class RecurrentThreadSplitTests
{
    private const int Steps = 7, Batch = 11, Input = 21, Hidden = 37;

    private static readonly string[] CellNames = ["lstm", "lstm_peepholes", "lstm_proj", "gru", "gru_reset_before", "rnn_tanh"];

    /// <summary>Every cell, with initial states (and their gradients) and without (the first step's product with zeros is skipped).</summary>
    public static TheoryData<string, bool> Cells()
    {
        var data = new TheoryData<string, bool>();
        foreach (var cell in CellNames)
        {
            data.Add(cell, true);
            data.Add(cell, false);
        }
        return data;
    }

    [Theory, MemberData(nameof(Cells))]
    public void OneThreadAndTwoGiveIdenticalOutputsAndGradients(string cell, bool initialStates)
    {
        var inputs = Inputs.Draw(Spec(cell), TestRandom.Create(), initialStates);
        var one = Run(inputs, DType.Float32, threads: 1);
        var two = Run(inputs, DType.Float32, threads: 2);
        Assert.Equal(one.Keys.Order(), two.Keys.Order());
        foreach (var (name, values) in one)
            Assert.True(values.AsSpan().SequenceEqual(two[name]), $"{cell}: {name} differs between one thread and two (seed {TestRandom.Seed})");
    }

    /// <summary>
    /// Every cell at batch 1 (150 steps: the sums over x come in chunks of 128 steps, the last one
    /// short) and batch 3 (chunks of 42 steps: one short chunk of 7, or 42 then 38), with and without initial states.
    /// </summary>
    public static TheoryData<string, int, int, bool> SmallBatches()
    {
        var data = new TheoryData<string, int, int, bool>();
        foreach (var cell in CellNames)
        {
            data.Add(cell, 1, 150, true);
            data.Add(cell, 3, Steps, false);
            data.Add(cell, 3, 80, true);
        }
        return data;
    }

    [Theory, MemberData(nameof(SmallBatches))]
    public void SmallBatchesGiveTheSameBitsOnOneTwoAndThreeThreads(string cell, int batch, int steps, bool initialStates)
    {
        // Weights enough for the step to be split: 300 x 4 x 208 floats (LSTM: 3 threads' worth) or x 3
        // (GRU: 2); scaled as 1/sqrt(H) so that the float64 reference stays meaningful over 150 steps.
        var inputs = Inputs.Draw(Spec(cell, input: 100, hidden: 200), TestRandom.Create(), initialStates, batch, steps, weightScale: 0.07);
        var one = Run(inputs, DType.Float32, threads: 1);
        foreach (var threads in new[] { 2, 3 })
        {
            var many = Run(inputs, DType.Float32, threads);
            foreach (var (name, values) in one)
                Assert.True(values.AsSpan().SequenceEqual(many[name]), $"{cell}, T = {steps}, B = {batch}: {name} differs between one thread and {threads} (seed {TestRandom.Seed})");
        }
        var exact = Run(inputs, DType.Float64, threads: 2);
        foreach (var (name, values) in exact)
            Tolerance.AssertClose(one[name], values, name is "y" or "hN" or "cN" ? Tolerance.Forward32 : Tolerance.Gradient32, $"{cell}, T = {steps}, B = {batch}: {name}");
    }

    [Theory, MemberData(nameof(Cells))]
    public void Float32MatchesFloat64OnEveryTileShape(string cell, bool initialStates)
    {
        var inputs = Inputs.Draw(Spec(cell), TestRandom.Create(), initialStates);
        var single = Run(inputs, DType.Float32, threads: 2);
        var exact = Run(inputs, DType.Float64, threads: 2);
        foreach (var (name, values) in exact)
        {
            var tolerance = name is "y" or "hN" or "cN" ? Tolerance.Forward32 : Tolerance.Gradient32;
            Tolerance.AssertClose(single[name], values, tolerance, $"{cell}: {name}");
        }
    }

    private static RnnSpec Spec(string cell, int input = Input, int hidden = Hidden) => cell switch
    {
        "lstm" => new(RnnCellKind.Lstm, input, hidden, NumLayers: 2, Bidirectional: true),
        "lstm_peepholes" => new(RnnCellKind.Lstm, input, hidden, Bidirectional: true, Peepholes: true),
        "lstm_proj" => new(RnnCellKind.Lstm, input, hidden, Bidirectional: true, ProjSize: 13),
        "gru" => new(RnnCellKind.Gru, input, hidden, NumLayers: 2, Bidirectional: true),
        "gru_reset_before" => new(RnnCellKind.Gru, input, hidden, Bidirectional: true, GruVariant: GruVariant.ResetBefore),
        _ => new(RnnCellKind.RnnTanh, input, hidden, Bidirectional: true),
    };

    /// <summary>Everything random about one case, as float32 values so that both dtypes see the same numbers.</summary>
    private sealed record Inputs(RnnSpec Spec, Dictionary<string, HostTensor> Values, int[] Lengths, bool InitialStates)
    {
        public static Inputs Draw(RnnSpec spec, Random rng, bool initialStates, int batch = Batch, int steps = Steps, double weightScale = 0.3)
        {
            var values = new Dictionary<string, HostTensor>();
            using (var shapes = new RnnStack(TestBackends.Get("cpu"), spec))
            {
                foreach (var p in shapes.Parameters) values[p.Name] = Draw(rng, p.Value.Shape, weightScale);
            }
            var states = spec.NumLayers * spec.Directions;
            values["x"] = Draw(rng, new Shape(steps, batch, spec.InputSize), 1);
            values["h0"] = Draw(rng, new Shape(states, batch, spec.StateSize), 1);
            values["c0"] = Draw(rng, new Shape(states, batch, spec.HiddenSize), 1);
            values["dy"] = Draw(rng, new Shape(steps, batch, spec.OutputSize), 1);
            values["dhN"] = Draw(rng, new Shape(states, batch, spec.StateSize), 1);
            values["dcN"] = Draw(rng, new Shape(states, batch, spec.HiddenSize), 1);
            // Unsorted, some full, some short, one of a single step (a batch of one runs in full).
            var lengths = Enumerable.Range(0, batch).Select(_ => rng.Next(1, steps + 1)).ToArray();
            lengths[rng.Next(batch)] = steps;
            if (batch > 1) lengths[rng.Next(batch)] = 1;
            else lengths[0] = steps;
            return new Inputs(spec, values, lengths, initialStates);
        }

        private static HostTensor Draw(Random rng, Shape shape, double scale) => TestRandom.Tensor(rng, shape, DType.Float32, scale);
    }

    /// <summary>Forward and backward on a CPU backend with the given threads: every output and gradient, as float64.</summary>
    private static Dictionary<string, double[]> Run(Inputs inputs, DType dtype, int threads)
    {
        using var backend = new CpuBackend(threads);
        using var stack = new RnnStack(backend, inputs.Spec, dtype);
        stack.LoadStateDict(stack.Parameters.ToDictionary(p => p.Name, p => inputs.Values[p.Name].ConvertTo(dtype)));
        Tensor Upload(string name) => inputs.Values[name].ConvertTo(dtype).ToDevice(backend);
        var lstm = inputs.Spec.Cell == RnnCellKind.Lstm;
        using var x = Upload("x");
        using var h0 = inputs.InitialStates ? Upload("h0") : null;
        using var c0 = lstm && inputs.InitialStates ? Upload("c0") : null;
        using var dy = Upload("dy");
        using var dhN = Upload("dhN");
        using var dcN = lstm ? Upload("dcN") : null;

        var results = new Dictionary<string, double[]>();
        using (var output = stack.Forward(x, h0, c0, new SequenceLengths(inputs.Lengths), training: true))
        {
            results["y"] = output.Output.ToFloat64Array();
            results["hN"] = output.Hidden.ToFloat64Array();
            if (output.Cell is not null) results["cN"] = output.Cell.ToFloat64Array();
        }
        stack.ZeroGrad();
        using (var gradients = stack.Backward(dy, dhN, dcN))
        {
            results["dx"] = gradients.Input!.ToFloat64Array();
            if (gradients.Hidden is not null) results["dh0"] = gradients.Hidden.ToFloat64Array();
            if (gradients.Cell is not null) results["dc0"] = gradients.Cell.ToFloat64Array();
        }
        foreach (var p in stack.Parameters) results["d" + p.Name] = p.Gradient.ToFloat64Array();
        return results;
    }
}
