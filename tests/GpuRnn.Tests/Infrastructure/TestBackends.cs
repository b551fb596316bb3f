using System.Collections.Concurrent;
using System.Reflection;
using Xunit;

namespace GpuRnn.Tests;

/// <summary>
/// The one shared fixture through which every backend test reaches every backend: theories take
/// a backend name from <see cref="Names"/> and call <see cref="Get"/>, which skips the case with
/// the reason when that backend is absent on this machine (never a silent pass).
/// </summary>
/// <remarks>
/// A run lists only the cases of the backends present here; an absent backend's cases are
/// reported once, as one skipped case with the reason and how many cases it leaves out
/// (<see cref="BackendAvailabilityTests"/>), rather than as hundreds of skipped cases with the
/// same reason. GPURNN_TEST_SKIPS=each lists every case of every backend, each skipped with its
/// reason where the backend is absent.
/// </remarks>
public static class TestBackends
{
    private static readonly string[] AllNames = ["cpu", "ilgpu-cpu", "cuda", "opencl"];

    /// <summary>Every backend a test runs against (those present, unless GPURNN_TEST_SKIPS=each).</summary>
    public static TheoryData<string> Names => Listed(AllNames);

    /// <summary>The float32 backends other than the CPU reference, for cross-backend comparisons.</summary>
    public static TheoryData<string> Accelerated => Listed(["ilgpu-cpu", "cuda", "opencl"]);

    /// <summary>Every backend name, present or not.</summary>
    public static IReadOnlyList<string> All => AllNames;

    /// <summary>Whether GPURNN_TEST_SKIPS=each asks for every case of an absent backend, each skipped.</summary>
    public static bool ListEachSkip => string.Equals(Environment.GetEnvironmentVariable("GPURNN_TEST_SKIPS"), "each", StringComparison.OrdinalIgnoreCase);

    private static readonly ConcurrentDictionary<string, Lazy<(IBackend? Backend, string? Reason)>> Cache = new();

    // Set while counting the cases an absent backend leaves out, so the data lists every backend.
    private static readonly AsyncLocal<bool> Counting = new();

    /// <summary>The backend of that name, created once per test run; skips the test if it cannot run here.</summary>
    public static IBackend Get(string name)
    {
        var entry = Entry(name);
        if (entry.Backend is null) Assert.Skip($"backend '{name}' is not available: {entry.Reason}");
        return entry.Backend;
    }

    /// <summary>
    /// Whether a run lists the cases of <paramref name="name"/> in <paramref name="dtype"/>: a
    /// present backend that does not compute in it has them counted once by
    /// <see cref="BackendAvailabilityTests"/> instead (unless GPURNN_TEST_SKIPS=each).
    /// </summary>
    public static bool Lists(string name, DType dtype) =>
        Counting.Value || ListEachSkip || Entry(name).Backend is not { } backend || backend.Supports(dtype);

    /// <summary>Why the backend cannot run here, or null when it can.</summary>
    public static string? Absence(string name) => Entry(name).Reason;

    /// <summary>
    /// How many cases of the test theories name <paramref name="name"/> as a backend: those a run
    /// leaves out while the backend is absent.
    /// </summary>
    public static int CasesOf(string name) => CasesOf(name, _ => true);

    /// <summary>How many cases of the test theories name <paramref name="name"/> as a backend and <paramref name="dtype"/> as their dtype.</summary>
    public static int CasesOf(string name, DType dtype) =>
        CasesOf(name, row => row.Any(v => Equals(v, dtype) || v is string file && GoldenDType(file) == dtype));

    // A golden case's dtype is its weights'.
    private static DType? GoldenDType(string file)
    {
        if (!file.EndsWith(".safetensors", StringComparison.Ordinal)) return null;
        var path = Path.Combine(Golden.GoldenCase.Folder, file);
        return File.Exists(path) ? SafeTensors.ReadHeader(path).Tensors.FirstOrDefault(t => t.Name == "weight_ih_l0")?.DType : null;
    }

    private static int CasesOf(string name, Func<object?[], bool> also)
    {
        Counting.Value = true;
        try
        {
            var methods = typeof(TestBackends).Assembly.GetTypes()
                .Where(t => t != typeof(BackendAvailabilityTests))
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly));
            return methods.SelectMany(m => m.GetCustomAttributes<MemberDataAttribute>().Select(data => Rows(m, data)))
                .Sum(rows => rows.Count(row => row.Any(value => value is string s && s == name) && also(row)));
        }
        finally
        {
            Counting.Value = false;
        }
    }

    // The rows of one [MemberData] source (a static property, method or field), read directly.
    private static IEnumerable<object?[]> Rows(MethodInfo method, MemberDataAttribute data)
    {
        var type = data.MemberType ?? method.DeclaringType!;
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.FlattenHierarchy;
        var source = type.GetProperty(data.MemberName, flags)?.GetValue(null)
            ?? type.GetMethod(data.MemberName, flags, Type.EmptyTypes)?.Invoke(null, null)
            ?? type.GetField(data.MemberName, flags)?.GetValue(null);
        if (source is not System.Collections.IEnumerable rows) yield break;
        foreach (var row in rows)
            yield return row switch
            {
                ITheoryDataRow r => r.GetData(),
                object?[] values => values,
                _ => [],
            };
    }

    private static (IBackend? Backend, string? Reason) Entry(string name) =>
        Cache.GetOrAdd(name, n => new Lazy<(IBackend?, string?)>(() => Create(n))).Value;

    // The present backends; when none of them is, the first, whose cases then skip with its reason
    // (a theory without data would fail).
    private static TheoryData<string> Listed(string[] names)
    {
        var listed = Counting.Value || ListEachSkip ? names : names.Where(n => Absence(n) is null).ToArray();
        return new TheoryData<string>(listed.Length > 0 ? listed : names[..1]);
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
