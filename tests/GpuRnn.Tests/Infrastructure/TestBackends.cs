using System.Collections.Concurrent;
using Xunit;

namespace GpuRnn.Tests;

/// <summary>
/// The one shared fixture through which every backend test reaches every backend: theories take
/// a backend name from <see cref="Names"/> and call <see cref="Get"/>, which skips the case with
/// the reason when that backend is absent on this machine (never a silent pass).
/// </summary>
public static class TestBackends
{
    /// <summary>Every backend a test runs against.</summary>
    public static TheoryData<string> Names => new("cpu", "ilgpu-cpu", "cuda", "opencl");

    /// <summary>The float32 backends other than the CPU reference, for cross-backend comparisons.</summary>
    public static TheoryData<string> Accelerated => new("ilgpu-cpu", "cuda", "opencl");

    private static readonly ConcurrentDictionary<string, Lazy<(IBackend? Backend, string? Reason)>> Cache = new();

    /// <summary>The backend of that name, created once per test run; skips the test if it cannot run here.</summary>
    public static IBackend Get(string name)
    {
        var entry = Cache.GetOrAdd(name, n => new Lazy<(IBackend?, string?)>(() => Create(n))).Value;
        if (entry.Backend is null) Assert.Skip($"backend '{name}' is not available: {entry.Reason}");
        return entry.Backend;
    }

    /// <summary>
    /// GPURNN_TEST_BACKENDS (comma-separated names) narrows a run to those backends, e.g.
    /// <c>cpu,cuda</c> on a GPU machine, where the ilgpu-cpu simulator would only repeat what CI
    /// already proves; the others skip with that reason.
    /// </summary>
    private static string? NotSelected(string name)
    {
        var selected = Environment.GetEnvironmentVariable("GPURNN_TEST_BACKENDS");
        if (string.IsNullOrWhiteSpace(selected)) return null;
        var names = selected.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return names.Contains(name, StringComparer.OrdinalIgnoreCase) ? null : $"GPURNN_TEST_BACKENDS={selected} leaves it out";
    }

    private static (IBackend?, string?) Create(string name)
    {
        if (NotSelected(name) is { } reason) return (null, reason);
        var info = Backend.Probe().FirstOrDefault(i => i.Name == name);
        if (info is null) return (null, "unknown backend");
        if (!info.IsAvailable) return (null, info.UnavailableReason);
        return (Backend.Create(name), null);
    }
}
