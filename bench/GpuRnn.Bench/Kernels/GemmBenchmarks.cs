using BenchmarkDotNet.Attributes;
using GpuRnn.Benchmarking;
using GpuRnn.Cpu;

namespace GpuRnn.Bench.Kernels;

/// <summary>The CPU backend's GEMM at the shapes an RNN layer runs: square, the input projection, one recurrent step.</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private CpuBackend _backend = null!;
    private Tensor _a = null!, _b = null!, _c = null!;

    /// <summary>M x N x K.</summary>
    [Params("512x512x512", "3200x2048x512", "64x2048x512", "1x1024x256")]
    public string Shape { get; set; } = "";

    /// <summary>Allocates operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var d = Shape.Split('x').Select(int.Parse).ToArray();
        _backend = new CpuBackend();
        _a = BenchRunner.Random(new(d[0], d[2]), 1).ToDevice(_backend, new(d[0], d[2]));
        _b = BenchRunner.Random(new(d[2], d[1]), 2).ToDevice(_backend, new(d[2], d[1]));
        _c = _backend.Allocate(new(d[0], d[1]), DType.Float32);
    }

    /// <summary>C = A B.</summary>
    [Benchmark]
    public void Gemm() => _backend.Gemm(_a, false, _b, false, _c);
}

/// <summary>One recurrent layer on the CPU backend, forward and forward+backward, at the bench's named sizes.</summary>
[MemoryDiagnoser]
public class RecurrentLayerBenchmarks
{
    private CpuBackend _backend = null!;
    private RnnStack _model = null!;
    private Tensor _x = null!, _dy = null!;

    /// <summary>A configuration name from BenchConfig.Named.</summary>
    [Params("lstm-small", "lstm-med", "gru-med", "lstm-b1")]
    public string Config { get; set; } = "";

    /// <summary>Builds the layer and its inputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var c = BenchConfig.Parse(Config);
        _backend = new CpuBackend();
        _model = new RnnStack(_backend, c.Spec, DType.Float32, seed: 1);
        _x = BenchRunner.Random(new(c.Steps, c.Batch, c.InputSize), 2).ToDevice(_backend, new(c.Steps, c.Batch, c.InputSize));
        _dy = BenchRunner.Random(new(c.Steps, c.Batch, c.HiddenSize), 3).ToDevice(_backend, new(c.Steps, c.Batch, c.HiddenSize));
    }

    /// <summary>Inference forward.</summary>
    [Benchmark]
    public void Forward()
    {
        using var o = _model.Forward(_x);
    }

    /// <summary>Training forward and backward.</summary>
    [Benchmark]
    public void ForwardBackward()
    {
        using var o = _model.Forward(_x, training: true);
        using var g = _model.Backward(_dy);
    }
}
