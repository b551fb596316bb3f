using System.Text.Json.Serialization;

namespace GpuRnn.Benchmarking;

/// <summary>The two passes the bench times.</summary>
public enum BenchPass
{
    /// <summary>Inference: a forward without a reserve.</summary>
    Forward,

    /// <summary>A training step's recurrent part: forward with reserve, then backward.</summary>
    ForwardBackward,
}

/// <summary>One timed (configuration, implementation, pass), as written to <c>--json</c>.</summary>
/// <param name="Config">Configuration name.</param>
/// <param name="Impl">Implementation: a backend name or a peer such as <c>onnxruntime</c>, <c>pytorch</c>, <c>cudnn</c>.</param>
/// <param name="Pass"><c>fwd</c> or <c>fwd+bwd</c>.</param>
/// <param name="MedianMs">Median time of one pass, milliseconds.</param>
/// <param name="MinMs">Fastest repetition.</param>
/// <param name="MaxMs">Slowest repetition.</param>
/// <param name="Gflops">The configuration's FLOPs divided by the median time.</param>
public sealed record BenchRow(
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("impl")] string Impl,
    [property: JsonPropertyName("pass")] string Pass,
    [property: JsonPropertyName("median_ms")] double MedianMs,
    [property: JsonPropertyName("min_ms")] double MinMs,
    [property: JsonPropertyName("max_ms")] double MaxMs,
    [property: JsonPropertyName("gflops")] double Gflops)
{
    /// <summary>The JSON name of a pass.</summary>
    public static string PassName(BenchPass pass) => pass == BenchPass.Forward ? "fwd" : "fwd+bwd";

    /// <summary>A row from repetition times, with GFLOP/s from <paramref name="flops"/>.</summary>
    public static BenchRow FromTimes(string config, string impl, BenchPass pass, IReadOnlyList<double> timesMs, double flops)
    {
        if (timesMs.Count == 0) throw new ArgumentException("no repetition was timed", nameof(timesMs));
        var sorted = timesMs.Order().ToArray();
        var n = sorted.Length;
        var median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new BenchRow(config, impl, PassName(pass), median, sorted[0], sorted[^1], flops / (median * 1e6));
    }
}
