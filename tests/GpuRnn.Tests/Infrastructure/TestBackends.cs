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

    private static (IBackend?, string?) Create(string name)
    {
        var info = Backend.Probe().FirstOrDefault(i => i.Name == name);
        if (info is null) return (null, "unknown backend");
        if (!info.IsAvailable) return (null, info.UnavailableReason);
        return (Backend.Create(name), null);
    }
}
