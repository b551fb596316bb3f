using Xunit;

namespace GpuRnn.Tests.Core;

/// <summary>
/// A backend of one's own, registered through <see cref="Backend.RegisterProvider"/>, gets the
/// boundary's checks from <see cref="BackendBase"/> without writing any: a bad argument raises
/// the documented message before the backend's code runs, and a good one reaches it.
/// </summary>
public class BackendBoundaryTests
{
    [Fact]
    public void AThirdPartyBackendGetsTheGemmShapeCheckWithoutItsCodeBeingReached()
    {
        var rng = TestRandom.Create();
        using var backend = Provider.Create<MinimalBackend>("boundary-gemm");
        int m = rng.Next(1, 9), k = rng.Next(1, 9), n = rng.Next(1, 9), kb = k + rng.Next(1, 5);
        using var a = backend.Allocate(new Shape(m, k), DType.Float32);
        using var b = backend.Allocate(new Shape(kb, n), DType.Float32);
        using var c = backend.Allocate(new Shape(m, n), DType.Float32);
        using var wrongC = backend.Allocate(new Shape(m + 1, n), DType.Float32);
        using var goodB = backend.Allocate(new Shape(k, n), DType.Float32);

        var inner = Assert.Throws<ArgumentException>(() => backend.Gemm(a, false, b, false, c));
        Assert.Equal($"gemm inner dimensions differ: op(A) is [{m}, {k}] (A [{m}, {k}]) but op(B) is [{kb}, {n}] (B [{kb}, {n}])", inner.Message);
        var output = Assert.Throws<ArgumentException>(() => backend.Gemm(a, false, goodB, false, wrongC));
        Assert.Equal($"gemm output C has shape [{m + 1}, {n}] but [{m}, {n}] was expected", output.Message);
        Assert.Empty(backend.Reached);

        // A good call reaches the backend with the sizes the boundary derived: op(A) = A^T here.
        using var at = backend.Allocate(new Shape(k, m), DType.Float32);
        backend.Gemm(at, true, goodB, false, c, alpha: 1, beta: 0);
        Assert.Equal([$"Gemm m={m} n={n} k={k}"], backend.Reached);
    }

    [Fact]
    public void AThirdPartyBackendGetsTheEmbeddingRnnAndOwnershipChecks()
    {
        var rng = TestRandom.Create();
        using var backend = Provider.Create<MinimalBackend>("boundary-others");
        int count = rng.Next(2, 9), vocab = rng.Next(2, 9), dim = rng.Next(2, 9);
        using var ids = backend.Allocate(new Shape(count), DType.Int32);
        using var table = backend.Allocate(new Shape(vocab, dim), DType.Float32);
        using var rows = backend.Allocate(new Shape(count, dim + 1), DType.Float32);
        var embedding = Assert.Throws<ArgumentException>(() => backend.EmbeddingForward(ids, table, rows));
        Assert.Equal($"output has shape [{count}, {dim + 1}] ({count * (dim + 1)} elements) but {count} ids of width {dim} need {count * dim}", embedding.Message);

        int input = rng.Next(2, 9), hidden = rng.Next(2, 9);
        var layer = new RnnLayerDesc(RnnCellKind.Gru, input, hidden, 0, 1, true, false, GruVariant.ResetAfter);
        using var x = backend.Allocate(new Shape(3, 2, input + 1), DType.Float32);
        using var y = backend.Allocate(new Shape(3, 2, hidden), DType.Float32);
        using var hN = backend.Allocate(new Shape(1, 2, hidden), DType.Float32);
        var weights = new RnnLayerWeights([new RnnDirectionWeights(table, table)]);
        var rnn = Assert.Throws<ArgumentException>(() => backend.RnnForward(layer, weights, x, null, null, null, y, hN, null, false));
        Assert.Equal($"input size {input + 1} does not match the layer's input size {input}", rnn.Message);

        using var cpu = new global::GpuRnn.Cpu.CpuBackend(1);
        using var foreign = cpu.Allocate(new Shape(vocab, dim), DType.Float32);
        var owner = Assert.Throws<ArgumentException>(() => backend.Axpy(1, foreign, table));
        Assert.Equal("x lives on backend 'cpu' but this call runs on 'boundary-others'", owner.Message);
        Assert.Empty(backend.Reached);
    }

    [Fact]
    public void ABackendThatDoesNotDeriveFromTheCheckingBaseIsRefusedByCreate()
    {
        var e = Assert.Throws<BackendUnavailableException>(() => Provider.Create<UncheckedBackend>("boundary-unchecked"));
        Assert.Contains("backend 'boundary-unchecked'", e.Message);
        Assert.Contains("without deriving from GpuRnn.BackendBase", e.Message);
        Assert.True(UncheckedBackend.LastDisposed);
    }

    /// <summary>
    /// Serves one name, seen only by the thread of the test that asks for it, so that tests running
    /// beside it (the <c>devices</c> listing compares two probes) never see a backend they did not make.
    /// </summary>
    private sealed class Provider<TBackend>(string name) : IBackendProvider where TBackend : IBackend
    {
        [ThreadStatic] private static string? _visible;

        public IReadOnlyList<BackendInfo> Probe() => _visible == name ? [new BackendInfo(name, true, "a test's backend")] : [];

        public IBackend Create(string requested) => (IBackend)Activator.CreateInstance(typeof(TBackend), requested)!;

        public TBackend CreateVisible()
        {
            _visible = name;
            try { return (TBackend)Backend.Create(name); }
            finally { _visible = null; }
        }
    }

    private static class Provider
    {
        public static TBackend Create<TBackend>(string name) where TBackend : IBackend
        {
            var provider = new Provider<TBackend>(name);
            Backend.RegisterProvider(provider);
            return provider.CreateVisible();
        }
    }

    private sealed class FakeTensor(IBackend backend, Shape shape, DType dtype) : Tensor(backend, shape, dtype, isView: false)
    {
        private bool _disposed;

        public override bool IsDisposed => _disposed;

        protected override Tensor CreateView(long elementOffset, Shape shape) => new FakeTensor(Backend, shape, DType);

        public override void Dispose() => _disposed = true;
    }

    /// <summary>The least a backend of one's own writes: no checks, every operation recorded or refused.</summary>
    private sealed class MinimalBackend(string name) : BackendBase
    {
        public List<string> Reached { get; } = [];

        public override string Name => name;
        public override string Description => "a test's backend";
        public override bool Supports(DType dtype) => dtype is DType.Float32 or DType.Int32;
        public override Tensor Allocate(Shape shape, DType dtype) => new FakeTensor(this, shape, dtype);
        public override void Synchronize() { }
        public override void Dispose() { }

        protected override void GemmCore(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, double alpha, double beta, int m, int n, int k) =>
            Reached.Add($"Gemm m={m} n={n} k={k}");

        private Exception Refused(string what)
        {
            Reached.Add(what);
            return new InvalidOperationException($"{what} reached the backend's code");
        }

        protected override void UploadCore<T>(ReadOnlySpan<T> source, Tensor destination) => throw Refused("Upload");
        protected override void DownloadCore<T>(Tensor source, Span<T> destination) => throw Refused("Download");
        protected override void CopyCore(Tensor source, Tensor destination) => throw Refused("Copy");
        protected override void FillCore(Tensor tensor, double value) => throw Refused("Fill");
        protected override RnnReserve? RnnForwardCore(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
            Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training) => throw Refused("RnnForward");
        protected override void RnnBackwardCore(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
            Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0, Tensor dy, Tensor? dhN, Tensor? dcN,
            Tensor? dx, Tensor? dh0, Tensor? dc0) => throw Refused("RnnBackward");
        protected override void AddBiasCore(Tensor y, Tensor bias) => throw Refused("AddBias");
        protected override void SumRowsCore(Tensor x, Tensor sum, double beta) => throw Refused("SumRows");
        protected override void AxpyCore(double alpha, Tensor x, Tensor y) => throw Refused("Axpy");
        protected override void ScaleCore(Tensor x, double alpha) => throw Refused("Scale");
        protected override void MultiplyCore(Tensor a, Tensor b, Tensor result) => throw Refused("Multiply");
        protected override void Transpose01Core(Tensor x, Tensor y) => throw Refused("Transpose01");
        protected override void EmbeddingForwardCore(Tensor ids, Tensor table, Tensor output) => throw Refused("EmbeddingForward");
        protected override void EmbeddingBackwardCore(Tensor ids, Tensor dOutput, Tensor dTable) => throw Refused("EmbeddingBackward");
        protected override void SoftmaxCrossEntropyCore(Tensor logits, Tensor targets, Tensor? dLogits, double gradScale, Tensor stats) => throw Refused("SoftmaxCrossEntropy");
        protected override void SoftmaxCore(Tensor logits, Tensor probabilities, double temperature) => throw Refused("Softmax");
        protected override void MeanSquaredErrorCore(Tensor prediction, Tensor target, Tensor? dPrediction, double gradScale, Tensor stats) => throw Refused("MeanSquaredError");
        protected override void DropoutForwardCore(Tensor x, Tensor y, Tensor mask, double p, ulong seed, ulong offset) => throw Refused("DropoutForward");
        protected override double SumOfSquaresCore(IReadOnlyList<Tensor> tensors) => throw Refused("SumOfSquares");
        protected override void SgdStepCore(Tensor parameter, Tensor gradient, Tensor? velocity, SgdSettings settings, double learningRate) => throw Refused("SgdStep");
        protected override void AdamStepCore(Tensor parameter, Tensor gradient, Tensor m, Tensor v, AdamSettings settings, double learningRate, long step) => throw Refused("AdamStep");
        protected override void RmsPropStepCore(Tensor parameter, Tensor gradient, Tensor squareAverage, Tensor? momentumBuffer, RmsPropSettings settings, double learningRate) => throw Refused("RmsPropStep");
    }

    /// <summary>A backend that implements <see cref="IBackend"/> directly, skipping the boundary's checks.</summary>
    private sealed class UncheckedBackend(string name) : IBackend
    {
        [ThreadStatic] public static bool LastDisposed;

        public string Name => name;
        public string Description => "a backend without the boundary's checks";
        public bool Supports(DType dtype) => dtype == DType.Float32;
        public Tensor Allocate(Shape shape, DType dtype) => new FakeTensor(this, shape, dtype);
        public void Upload<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged { }
        public void Download<T>(Tensor source, Span<T> destination) where T : unmanaged { }
        public void Copy(Tensor source, Tensor destination) { }
        public void Fill(Tensor tensor, double value) { }
        public void Synchronize() { }
        public RnnReserve? RnnForward(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
            Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training) => null;
        public void RnnBackward(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
            Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0, Tensor dy, Tensor? dhN, Tensor? dcN,
            Tensor? dx, Tensor? dh0, Tensor? dc0) { }
        public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, double alpha = 1, double beta = 0) { }
        public void AddBias(Tensor y, Tensor bias) { }
        public void SumRows(Tensor x, Tensor sum, double beta = 1) { }
        public void Axpy(double alpha, Tensor x, Tensor y) { }
        public void Scale(Tensor x, double alpha) { }
        public void Multiply(Tensor a, Tensor b, Tensor result) { }
        public void Transpose01(Tensor x, Tensor y) { }
        public void EmbeddingForward(Tensor ids, Tensor table, Tensor output) { }
        public void EmbeddingBackward(Tensor ids, Tensor dOutput, Tensor dTable) { }
        public void SoftmaxCrossEntropy(Tensor logits, Tensor targets, Tensor? dLogits, double gradScale, Tensor stats) { }
        public void Softmax(Tensor logits, Tensor probabilities, double temperature = 1) { }
        public void MeanSquaredError(Tensor prediction, Tensor target, Tensor? dPrediction, double gradScale, Tensor stats) { }
        public void DropoutForward(Tensor x, Tensor y, Tensor mask, double p, ulong seed, ulong offset) { }
        public double SumOfSquares(IReadOnlyList<Tensor> tensors) => 0;
        public void SgdStep(Tensor parameter, Tensor gradient, Tensor? velocity, SgdSettings settings, double learningRate) { }
        public void AdamStep(Tensor parameter, Tensor gradient, Tensor m, Tensor v, AdamSettings settings, double learningRate, long step) { }
        public void RmsPropStep(Tensor parameter, Tensor gradient, Tensor squareAverage, Tensor? momentumBuffer, RmsPropSettings settings, double learningRate) { }
        public void Dispose() => LastDisposed = true;
    }
}
