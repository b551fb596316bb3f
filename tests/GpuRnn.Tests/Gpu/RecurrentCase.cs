namespace GpuRnn.Tests.Gpu;

/// <summary>
/// One recurrent layer call set up identically on the CPU reference and an accelerated backend:
/// random weights, inputs, initial states, output gradients and pre-filled parameter gradients
/// (so accumulation is checked too), all drawn fresh per test.
/// </summary>
internal sealed class RecurrentCase
{
    private readonly Random _rng;

    public RecurrentCase(Random rng, IBackend gpu, RnnLayerDesc layer, int steps, int batch, int[]? lengths, bool states)
    {
        _rng = rng;
        Gpu = gpu;
        Layer = layer;
        Steps = steps;
        Batch = batch;
        Lengths = lengths is null ? null : new SequenceLengths(lengths);
        int d = layer.Directions, p = layer.StateSize, h = layer.HiddenSize;
        X = Pair(new Shape(steps, batch, layer.InputSize));
        H0 = states ? Pair(new Shape(d, batch, p)) : default;
        C0 = states && layer.HasCellState ? Pair(new Shape(d, batch, h)) : default;
        DY = Pair(new Shape(steps, batch, layer.OutputSize));
        DHN = states ? Pair(new Shape(d, batch, p)) : default;
        DCN = states && layer.HasCellState ? Pair(new Shape(d, batch, h)) : default;
        (WeightsCpu, WeightsGpu) = Weights(0.4);
        (GradientsCpu, GradientsGpu) = Weights(1);
    }

    public IBackend Gpu { get; }
    public RnnLayerDesc Layer { get; }
    public int Steps { get; }
    public int Batch { get; }
    public SequenceLengths? Lengths { get; }
    public (Tensor Cpu, Tensor Gpu) X { get; }
    public (Tensor? Cpu, Tensor? Gpu) H0 { get; }
    public (Tensor? Cpu, Tensor? Gpu) C0 { get; }
    public (Tensor Cpu, Tensor Gpu) DY { get; }
    public (Tensor? Cpu, Tensor? Gpu) DHN { get; }
    public (Tensor? Cpu, Tensor? Gpu) DCN { get; }
    public RnnLayerWeights WeightsCpu { get; }
    public RnnLayerWeights WeightsGpu { get; }
    public RnnLayerWeights GradientsCpu { get; }
    public RnnLayerWeights GradientsGpu { get; }

    /// <summary>The layer's outputs on one backend.</summary>
    public sealed record Outputs(Tensor Y, Tensor HN, Tensor? CN, RnnReserve? Reserve);

    public Outputs Forward(IBackend backend, bool training, Func<IBackend, RnnLayerDesc, RnnLayerWeights, Tensor, SequenceLengths?, Tensor?, Tensor?, Tensor, Tensor, Tensor?, bool, RnnReserve?>? forward = null)
    {
        var cpu = backend == GpuReference.Cpu;
        var y = backend.Allocate(new Shape(Steps, Batch, Layer.OutputSize), DType.Float32);
        var hN = backend.Allocate(new Shape(Layer.Directions, Batch, Layer.StateSize), DType.Float32);
        var cN = Layer.HasCellState ? backend.Allocate(new Shape(Layer.Directions, Batch, Layer.HiddenSize), DType.Float32) : null;
        forward ??= (b, l, w, x, len, h0, c0, yy, hn, cn, tr) => b.RnnForward(l, w, x, len, h0, c0, yy, hn, cn, tr);
        var reserve = forward(backend, Layer, cpu ? WeightsCpu : WeightsGpu, cpu ? X.Cpu : X.Gpu, Lengths,
            cpu ? H0.Cpu : H0.Gpu, cpu ? C0.Cpu : C0.Gpu, y, hN, cN, training);
        return new Outputs(y, hN, cN, reserve);
    }

    /// <summary>The forward on an ILGPU backend with its time loop's algorithm chosen.</summary>
    public Outputs Forward(GpuRnn.Gpu.GpuBackend gpu, bool training, GpuRnn.Gpu.Rnn.GpuRecurrentAlgorithm algorithm) =>
        Forward(gpu, training, (b, l, w, x, len, h0, c0, y, hn, cn, tr) => gpu.RnnForward(l, w, x, len, h0, c0, y, hn, cn, tr, algorithm));

    /// <summary>Runs the backward on one backend (an ILGPU one with <paramref name="algorithm"/>); returns dx, dh0, dc0 (when the case has states).</summary>
    public (Tensor DX, Tensor? DH0, Tensor? DC0) Backward(IBackend backend, RnnReserve reserve,
        GpuRnn.Gpu.Rnn.GpuRecurrentAlgorithm algorithm = GpuRnn.Gpu.Rnn.GpuRecurrentAlgorithm.Auto)
    {
        var cpu = backend == GpuReference.Cpu;
        var dx = backend.Allocate(new Shape(Steps, Batch, Layer.InputSize), DType.Float32);
        var dh0 = H0.Cpu is null ? null : backend.Allocate(new Shape(Layer.Directions, Batch, Layer.StateSize), DType.Float32);
        var dc0 = C0.Cpu is null ? null : backend.Allocate(new Shape(Layer.Directions, Batch, Layer.HiddenSize), DType.Float32);
        if (backend is GpuRnn.Gpu.GpuBackend gpu)
            gpu.RnnBackward(Layer, WeightsGpu, GradientsGpu, reserve, X.Gpu, Lengths, H0.Gpu, C0.Gpu, DY.Gpu, DHN.Gpu, DCN.Gpu, dx, dh0, dc0, algorithm);
        else
            backend.RnnBackward(Layer, cpu ? WeightsCpu : WeightsGpu, cpu ? GradientsCpu : GradientsGpu, reserve,
                cpu ? X.Cpu : X.Gpu, Lengths, cpu ? H0.Cpu : H0.Gpu, cpu ? C0.Cpu : C0.Gpu, cpu ? DY.Cpu : DY.Gpu,
                cpu ? DHN.Cpu : DHN.Gpu, cpu ? DCN.Cpu : DCN.Gpu, dx, dh0, dc0);
        return (dx, dh0, dc0);
    }

    /// <summary>Asserts the forward outputs agree within the forward tolerance.</summary>
    public void AssertForwardMatches(Outputs gpu, Outputs cpu, string what)
    {
        GpuReference.AssertMatches(gpu.Y, cpu.Y, Tolerance.Forward32, $"{what}: y");
        GpuReference.AssertMatches(gpu.HN, cpu.HN, Tolerance.Forward32, $"{what}: hN");
        if (cpu.CN is not null) GpuReference.AssertMatches(gpu.CN!, cpu.CN, Tolerance.Forward32, $"{what}: cN");
    }

    /// <summary>Asserts every gradient agrees within the gradient tolerance.</summary>
    public void AssertBackwardMatches((Tensor DX, Tensor? DH0, Tensor? DC0) gpu, (Tensor DX, Tensor? DH0, Tensor? DC0) cpu, string what)
    {
        GpuReference.AssertMatches(gpu.DX, cpu.DX, Tolerance.Gradient32, $"{what}: dx");
        if (cpu.DH0 is not null) GpuReference.AssertMatches(gpu.DH0!, cpu.DH0, Tolerance.Gradient32, $"{what}: dh0");
        if (cpu.DC0 is not null) GpuReference.AssertMatches(gpu.DC0!, cpu.DC0, Tolerance.Gradient32, $"{what}: dc0");
        for (var d = 0; d < Layer.Directions; d++)
        {
            var c = GradientsCpu.Directions[d].Present().ToList();
            var g = GradientsGpu.Directions[d].Present().ToList();
            for (var i = 0; i < c.Count; i++)
                GpuReference.AssertMatches(g[i].Tensor, c[i].Tensor, Tolerance.Gradient32, $"{what}: d{c[i].Kind} direction {d}");
        }
    }

    private (Tensor Cpu, Tensor Gpu) Pair(Shape shape, double scale = 1) => GpuReference.Random(_rng, Gpu, shape, scale);

    private (RnnLayerWeights Cpu, RnnLayerWeights Gpu) Weights(double scale)
    {
        var cpu = new List<RnnDirectionWeights>();
        var gpu = new List<RnnDirectionWeights>();
        int g = Layer.GateCount * Layer.HiddenSize, h = Layer.HiddenSize;
        for (var d = 0; d < Layer.Directions; d++)
        {
            var ih = Pair(new Shape(g, Layer.InputSize), scale);
            var hh = Pair(new Shape(g, Layer.StateSize), scale);
            var bih = Layer.Bias ? Pair(new Shape(g), scale) : default;
            var bhh = Layer.Bias ? Pair(new Shape(g), scale) : default;
            var hr = Layer.ProjSize > 0 ? Pair(new Shape(Layer.ProjSize, h), scale) : default;
            var ci = Layer.Peepholes ? Pair(new Shape(h), scale) : default;
            var cf = Layer.Peepholes ? Pair(new Shape(h), scale) : default;
            var co = Layer.Peepholes ? Pair(new Shape(h), scale) : default;
            cpu.Add(new RnnDirectionWeights(ih.Cpu, hh.Cpu, bih.Cpu, bhh.Cpu, hr.Cpu, ci.Cpu, cf.Cpu, co.Cpu));
            gpu.Add(new RnnDirectionWeights(ih.Gpu, hh.Gpu, bih.Gpu, bhh.Gpu, hr.Gpu, ci.Gpu, cf.Gpu, co.Gpu));
        }
        return (new RnnLayerWeights(cpu), new RnnLayerWeights(gpu));
    }
}
