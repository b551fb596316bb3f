using GpuRnn.Benchmarking;

namespace GpuRnn.Bench.Peers;

/// <summary>Another RNN implementation timed beside GpuRnn on the same weights and inputs.</summary>
public interface IBenchPeer : IDisposable
{
    /// <summary>The implementation's name in the table (onnxruntime, pytorch, cudnn, ...).</summary>
    string Name { get; }

    /// <summary>Null when the peer can run here, else why not.</summary>
    string? UnavailableReason { get; }

    /// <summary>Times a pass; null when the peer has no such pass (ONNX Runtime has no backward).</summary>
    BenchRow? Run(BenchConfig config, BenchPass pass);
}

/// <summary>How every peer is run: threads, warm-up and repetitions, as for GpuRnn's backends.</summary>
/// <param name="Threads">CPU threads (0 = all cores).</param>
/// <param name="Warmup">Untimed repetitions, at least.</param>
/// <param name="Repetitions">Timed repetitions.</param>
/// <param name="WarmupSeconds">The least warm-up time in seconds, as <see cref="BenchRunner.WarmupSeconds"/>.</param>
public sealed record PeerSettings(int Threads, int Warmup, int Repetitions, double WarmupSeconds = BenchRunner.DefaultWarmupSeconds)
{
    /// <summary>Whether the warm-up goes on after <paramref name="done"/> untimed repetitions that took <paramref name="elapsed"/>.</summary>
    public bool KeepWarming(int done, TimeSpan elapsed) => BenchRunner.KeepWarming(done, elapsed, Warmup, WarmupSeconds);

    /// <summary>The thread count with 0 resolved to the number of cores.</summary>
    public int ResolvedThreads => Threads > 0 ? Threads : Environment.ProcessorCount;
}

/// <summary>The weights and inputs every implementation is given for a configuration: GpuRnn's seeded initialisation.</summary>
public static class BenchInputs
{
    /// <summary>PyTorch-named weights of <paramref name="config"/> as float32, identical to what BenchRunner uses.</summary>
    public static IReadOnlyDictionary<string, HostTensor> Weights(BenchConfig config)
    {
        using var cpu = new GpuRnn.Cpu.CpuBackend();
        using var model = new RnnStack(cpu, config.Spec, DType.Float32, seed: 1);
        return model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    /// <summary>x [T, B, I], as BenchRunner draws it.</summary>
    public static HostTensor Input(BenchConfig config)
    {
        var shape = new Shape(config.Steps, config.Batch, config.InputSize);
        return HostTensor.FromArray(BenchRunner.Random(shape, 2), shape);
    }

    /// <summary>dy [T, B, H], as BenchRunner draws it.</summary>
    public static HostTensor OutputGradient(BenchConfig config)
    {
        var shape = new Shape(config.Steps, config.Batch, config.HiddenSize);
        return HostTensor.FromArray(BenchRunner.Random(shape, 3), shape);
    }
}
