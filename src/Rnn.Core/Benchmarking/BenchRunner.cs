using System.Diagnostics;

namespace GpuRnn.Benchmarking;

/// <summary>
/// Times the forward and forward+backward of a configuration on a backend: fresh random weights
/// and inputs (seeded), warm-up repetitions, then timed ones, each ended by a synchronize so GPU
/// time is counted.
/// </summary>
/// <param name="warmup">Untimed repetitions first (kernel compilation, caches, clocks).</param>
/// <param name="repetitions">Timed repetitions.</param>
public sealed class BenchRunner(int warmup = 2, int repetitions = 7)
{
    /// <summary>Untimed repetitions.</summary>
    public int Warmup { get; } = warmup >= 0 ? warmup : throw new ArgumentOutOfRangeException(nameof(warmup), $"warm-up must be zero or more, got {warmup}");

    /// <summary>Timed repetitions.</summary>
    public int Repetitions { get; } = repetitions > 0 ? repetitions : throw new ArgumentOutOfRangeException(nameof(repetitions), $"repetitions must be positive, got {repetitions}");

    /// <summary>Times <paramref name="pass"/> of <paramref name="config"/> on <paramref name="backend"/>.</summary>
    /// <param name="backend">Where to run.</param>
    /// <param name="config">What to run.</param>
    /// <param name="pass">Which pass.</param>
    /// <param name="implName">The name in the row (defaults to the backend's).</param>
    /// <param name="onRepetition">Called after each repetition (for progress displays).</param>
    public BenchRow Run(IBackend backend, BenchConfig config, BenchPass pass, string? implName = null, Action? onRepetition = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(config);
        using var model = new RnnStack(backend, config.Spec, DType.Float32, seed: 1);
        var inputShape = new Shape(config.Steps, config.Batch, config.InputSize);
        var outputShape = new Shape(config.Steps, config.Batch, config.HiddenSize);
        using var x = Random(inputShape, 2).ToDevice(backend, inputShape);
        using var dy = Random(outputShape, 3).ToDevice(backend, outputShape);
        Action once = pass == BenchPass.Forward
            ? () => { using var o = model.Forward(x); }
            : () =>
            {
                using var o = model.Forward(x, training: true);
                using var g = model.Backward(dy);
            };
        var flops = pass == BenchPass.Forward ? config.ForwardFlops : config.TrainingFlops;
        for (var i = 0; i < Warmup; i++)
        {
            once();
            backend.Synchronize();
            onRepetition?.Invoke();
        }
        var times = new double[Repetitions];
        for (var i = 0; i < Repetitions; i++)
        {
            var sw = Stopwatch.StartNew();
            once();
            backend.Synchronize();
            times[i] = sw.Elapsed.TotalMilliseconds;
            onRepetition?.Invoke();
        }
        return BenchRow.FromTimes(config.Name, implName ?? backend.Name, pass, times, flops);
    }

    /// <summary>Seeded values in [-1, 1), the same for every backend and peer given the same seed.</summary>
    public static float[] Random(Shape shape, ulong seed)
    {
        var values = new float[shape.ElementCount];
        for (long i = 0; i < values.LongLength; i++) values[i] = 2 * CounterRng.Uniform(seed, (ulong)i) - 1;
        return values;
    }
}
