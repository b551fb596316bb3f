using Xunit;

namespace GpuRnn.Tests.Gpu;

/// <summary>The dense kernels (tiled GEMM, bias, row sums, element-wise) against the CPU backend.</summary>
public class GpuDenseOpsTests
{
    public static TheoryData<string, bool, bool> GemmCases()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var name in TestBackends.Accelerated)
            foreach (var ta in new[] { false, true })
                foreach (var tb in new[] { false, true })
                    data.Add(name, ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(GemmCases))]
    public void GemmMatchesTheCpuForEveryTransposeAtOddAndTileAlignedSizes(string backend, bool transA, bool transB)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        foreach (var (m, n, k) in new[] { (37, 33, 19), (64, 32, 16), (3, 70, 41) })
        {
            var a = GpuReference.Random(rng, gpu, transA ? new Shape(k, m) : new Shape(m, k));
            var b = GpuReference.Random(rng, gpu, transB ? new Shape(n, k) : new Shape(k, n));
            var c = GpuReference.Random(rng, gpu, new Shape(m, n));
            var alpha = 0.5 + rng.NextDouble();
            var beta = rng.NextDouble() - 0.5;
            GpuReference.Cpu.Gemm(a.Cpu, transA, b.Cpu, transB, c.Cpu, alpha, beta);
            gpu.Gemm(a.Gpu, transA, b.Gpu, transB, c.Gpu, alpha, beta);
            GpuReference.AssertMatches(c.Gpu, c.Cpu, Tolerance.Forward32, $"gemm {m}x{n}x{k} transA={transA} transB={transB}");
        }
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void GemmWithZeroBetaIgnoresNanInTheOutput(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        var a = GpuReference.Random(rng, gpu, new Shape(5, 7));
        var b = GpuReference.Random(rng, gpu, new Shape(7, 9));
        var c = HostTensor.FromArray(Enumerable.Repeat(float.NaN, 45).ToArray(), new Shape(5, 9)).ToDevice(gpu);
        var expected = GpuReference.Cpu.Allocate(new Shape(5, 9), DType.Float32);
        GpuReference.Cpu.Gemm(a.Cpu, false, b.Cpu, false, expected);
        gpu.Gemm(a.Gpu, false, b.Gpu, false, c);
        GpuReference.AssertMatches(c, expected, Tolerance.Forward32, "gemm beta 0 over NaN");
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void GemmRefusesMismatchedShapesNamingThem(string backend)
    {
        var gpu = TestBackends.Get(backend);
        using var a = gpu.Allocate(new Shape(4, 5), DType.Float32);
        using var b = gpu.Allocate(new Shape(6, 3), DType.Float32);
        using var c = gpu.Allocate(new Shape(4, 3), DType.Float32);
        var e = Assert.Throws<ArgumentException>(() => gpu.Gemm(a, false, b, false, c));
        Assert.Contains("[4, 5]", e.Message);
        Assert.Contains("[6, 3]", e.Message);
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void LongColumnSumsTakeTheChunkedPathAndMatchTheCpu(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        // More rows than one chunk of SumRowChunks, a ragged last chunk, and columns past one group.
        int rows = 64 * 3 + 1 + rng.Next(60), cols = 65 + rng.Next(30);
        var x = GpuReference.Random(rng, gpu, new Shape(rows, cols));
        foreach (var beta in new[] { 0.0, 1.0, 0.5 })
        {
            var sum = GpuReference.Random(rng, gpu, new Shape(cols));
            GpuReference.Cpu.SumRows(x.Cpu, sum.Cpu, beta);
            gpu.SumRows(x.Gpu, sum.Gpu, beta);
            GpuReference.AssertMatches(sum.Gpu, sum.Cpu, Tolerance.Forward32, $"sum of {rows} rows, beta {beta}");
        }
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void BiasRowSumsAndElementwiseOpsMatchTheCpu(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        int rows = 13, cols = 37;
        var y = GpuReference.Random(rng, gpu, new Shape(rows, cols));
        var bias = GpuReference.Random(rng, gpu, new Shape(cols));
        GpuReference.Cpu.AddBias(y.Cpu, bias.Cpu);
        gpu.AddBias(y.Gpu, bias.Gpu);
        GpuReference.AssertMatches(y.Gpu, y.Cpu, Tolerance.Forward32, "add bias");

        foreach (var beta in new[] { 0.0, 1.0, 0.5 })
        {
            var sum = GpuReference.Random(rng, gpu, new Shape(cols));
            GpuReference.Cpu.SumRows(y.Cpu, sum.Cpu, beta);
            gpu.SumRows(y.Gpu, sum.Gpu, beta);
            GpuReference.AssertMatches(sum.Gpu, sum.Cpu, Tolerance.Forward32, $"sum rows beta {beta}");
        }

        var x = GpuReference.Random(rng, gpu, new Shape(rows, cols));
        var alpha = rng.NextDouble() * 2 - 1;
        GpuReference.Cpu.Axpy(alpha, x.Cpu, y.Cpu);
        gpu.Axpy(alpha, x.Gpu, y.Gpu);
        GpuReference.AssertMatches(y.Gpu, y.Cpu, Tolerance.Forward32, "axpy");

        GpuReference.Cpu.Scale(y.Cpu, -alpha);
        gpu.Scale(y.Gpu, -alpha);
        GpuReference.AssertMatches(y.Gpu, y.Cpu, Tolerance.Forward32, "scale");

        // result aliases its first operand, as RnnStack uses it for dropout masks
        GpuReference.Cpu.Multiply(y.Cpu, x.Cpu, y.Cpu);
        gpu.Multiply(y.Gpu, x.Gpu, y.Gpu);
        GpuReference.AssertMatches(y.Gpu, y.Cpu, Tolerance.Forward32, "multiply in place");
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void TransposeSwapsTheFirstTwoAxes(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        var x = GpuReference.Random(rng, gpu, new Shape(5, 3, 7));
        var cpuY = GpuReference.Cpu.Allocate(new Shape(3, 5, 7), DType.Float32);
        using var gpuY = gpu.Allocate(new Shape(3, 5, 7), DType.Float32);
        GpuReference.Cpu.Transpose01(x.Cpu, cpuY);
        gpu.Transpose01(x.Gpu, gpuY);
        Assert.Equal(cpuY.ToFloat64Array(), gpuY.ToFloat64Array());
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void ViewsReadAndWriteOnlyTheirOwnRange(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        var host = TestRandom.Tensor(rng, new Shape(4, 3, 5), DType.Float32);
        using var t = host.ToDevice(gpu);
        using var slice = t.Slice(1, 2);
        var fill = (float)(rng.NextDouble() + 1);
        gpu.Fill(slice, fill);
        var result = t.ToHost().AsFloat32();
        var original = host.AsFloat32();
        for (var i = 0; i < result.Length; i++)
        {
            var inSlice = i >= 15 && i < 45;
            Assert.Equal(inSlice ? fill : original[i], result[i]);
        }
        using var copy = gpu.Allocate(new Shape(2, 3, 5), DType.Float32);
        gpu.Copy(t.Slice(2, 2), copy);
        Assert.Equal(result[30..60], copy.ToHost().AsFloat32());
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void IntTensorsRoundTripAndFloat64IsRefusedWithAClearMessage(string backend)
    {
        var gpu = TestBackends.Get(backend);
        var rng = TestRandom.Create();
        var ids = Enumerable.Range(0, 11).Select(_ => rng.Next(-5, 100)).ToArray();
        using var t = ids.ToDevice(gpu, new Shape(11));
        Assert.Equal(ids, t.ToHost().AsInt32());
        gpu.Fill(t, 7);
        Assert.All(t.ToHost().AsInt32(), v => Assert.Equal(7, v));
        Assert.False(gpu.Supports(DType.Float64));
        var e = Assert.Throws<ArgumentException>(() => gpu.Allocate(new Shape(2), DType.Float64));
        Assert.Contains("float64", e.Message);
        using var f = gpu.Allocate(new Shape(3), DType.Float32);
        var wrong = Assert.Throws<ArgumentException>(() => gpu.Upload<int>(new int[3], f));
        Assert.Contains("float32", wrong.Message);
    }
}
