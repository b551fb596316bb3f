using System.Diagnostics;

namespace GpuRnn.Benchmarking;

/// <summary>
/// Times the forward and forward+backward of a configuration on a backend: fresh random weights
/// and inputs (seeded), warm-up repetitions, then timed ones, each ended by a synchronize so GPU
/// time is counted.
/// </summary>
/// <remarks>
/// The warm-up runs for at least <paramref name="warmup"/> repetitions and at least
/// <paramref name="warmupSeconds"/>: .NET compiles hot methods again, optimised, only after they
/// have run for a while (tiered compilation, ~100 ms after the first calls, in the background),
/// so a count alone leaves a short configuration's first timed repetitions on unoptimised code.
/// </remarks>
/// <param name="warmup">Untimed repetitions first (kernel compilation, caches, clocks).</param>
/// <param name="repetitions">Timed repetitions.</param>
/// <param name="warmupSeconds">The least time the warm-up takes, in seconds (0 = the count alone).</param>
public sealed class BenchRunner(int warmup = 2, int repetitions = 7, double warmupSeconds = BenchRunner.DefaultWarmupSeconds)
{
    /// <summary>The warm-up time that every implementation is given unless told otherwise, in seconds.</summary>
    public const double DefaultWarmupSeconds = 1.0;

    /// <summary>Untimed repetitions, at least.</summary>
    public int Warmup { get; } = warmup >= 0 ? warmup : throw new ArgumentOutOfRangeException(nameof(warmup), $"warm-up must be zero or more, got {warmup}");

    /// <summary>The least warm-up time, in seconds.</summary>
    public double WarmupSeconds { get; } = warmupSeconds >= 0 && double.IsFinite(warmupSeconds) ? warmupSeconds
        : throw new ArgumentOutOfRangeException(nameof(warmupSeconds), $"warm-up time must be zero or more seconds, got {warmupSeconds}");

    /// <summary>Timed repetitions.</summary>
    public int Repetitions { get; } = repetitions > 0 ? repetitions : throw new ArgumentOutOfRangeException(nameof(repetitions), $"repetitions must be positive, got {repetitions}");

    /// <summary>Times <paramref name="pass"/> of <paramref name="config"/> on <paramref name="backend"/>.</summary>
    /// <param name="backend">Where to run.</param>
    /// <param name="config">What to run.</param>
    /// <param name="pass">Which pass.</param>
    /// <param name="implName">The name in the row (defaults to the backend's).</param>
    /// <param name="onRepetition">Called after each timed repetition and each of the <see cref="Warmup"/> counted warm-ups (for progress displays).</param>
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
        var warming = Stopwatch.StartNew();
        for (var i = 0; KeepWarming(i, warming.Elapsed, Warmup, WarmupSeconds); i++)
        {
            once();
            backend.Synchronize();
            if (i < Warmup) onRepetition?.Invoke(); // progress counts the fixed part; the rest is time
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

    /// <summary>
    /// The warm-up rule every implementation follows: go on after <paramref name="done"/> untimed
    /// repetitions that took <paramref name="elapsed"/> until both <paramref name="warmup"/> and
    /// <paramref name="warmupSeconds"/> are reached.
    /// </summary>
    public static bool KeepWarming(int done, TimeSpan elapsed, int warmup, double warmupSeconds) =>
        done < warmup || elapsed.TotalSeconds < warmupSeconds;

    /// <summary>Seeded values in [-1, 1), the same for every backend and peer given the same seed.</summary>
    public static float[] Random(Shape shape, ulong seed)
    {
        var values = new float[shape.ElementCount];
        for (long i = 0; i < values.LongLength; i++) values[i] = 2 * CounterRng.Uniform(seed, (ulong)i) - 1;
        return values;
    }
}
