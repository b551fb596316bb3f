
namespace GpuRnn;

/// <summary>
/// Chooses and creates backends by name: <c>cpu</c>, <c>ilgpu-cpu</c>, <c>cuda</c>,
/// <c>opencl</c>, or <c>auto</c> (CUDA, then OpenCL, then the CPU backend).
/// </summary>
public static class Backend
{
    /// <summary>Every backend name, in the order <c>auto</c> prefers the accelerators.</summary>
    public static readonly IReadOnlyList<string> KnownNames = ["cuda", "opencl", "cpu", "ilgpu-cpu"];

    // Providers live in assemblies that reference this one; they are found by name so that a
    // CPU-only deployment works without GpuRnn.Gpu present.
    private static readonly string[] ProviderTypeNames =
    [
        "GpuRnn.Cpu.CpuBackendProvider, GpuRnn.Cpu",
        "GpuRnn.Gpu.GpuBackendProvider, GpuRnn.Gpu",
    ];

    private static readonly object Gate = new();
    private static List<IBackendProvider>? _providers;

    /// <summary>
    /// Adds a provider beside the built-in ones (for a backend of your own). The backends it
    /// creates derive from <see cref="BackendBase"/>, which checks every call's arguments at the
    /// boundary; <see cref="Create"/> refuses one that does not.
    /// </summary>
    public static void RegisterProvider(IBackendProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        lock (Gate) Providers().Add(provider);
    }

    /// <summary>Every known backend name with whether it can run here and why not.</summary>
    public static IReadOnlyList<BackendInfo> Probe()
    {
        List<IBackendProvider> providers;
        lock (Gate) providers = [.. Providers()];
        var found = new Dictionary<string, BackendInfo>();
        foreach (var p in providers)
        {
            foreach (var info in p.Probe()) found.TryAdd(info.Name, info);
        }
        var result = new List<BackendInfo>();
        foreach (var name in KnownNames)
        {
            result.Add(found.Remove(name, out var info)
                ? info
                : new BackendInfo(name, false, "not installed", $"the assembly that provides '{name}' is not deployed"));
        }
        result.AddRange(found.Values);
        return result;
    }

    /// <summary>
    /// Creates the backend named <paramref name="name"/>; <c>auto</c> takes the first available of
    /// CUDA, OpenCL and CPU. <c>cuda:K</c> and <c>opencl:K</c> (<see cref="BackendChoice"/>) take
    /// the K-th usable device of that runtime, numbered as <c>gpurnn devices</c> numbers them;
    /// without K, a process started by an MPI launcher takes device (local rank modulo the usable
    /// devices), the local rank read from <see cref="BackendChoice.LocalRankVariables"/>, and any
    /// other takes device 0. Throws <see cref="BackendUnavailableException"/> with a one-line
    /// message that lists the backends present when the name is unknown or absent here, or names K
    /// and the device count when K is out of range, and <see cref="BackendNameException"/> for a
    /// name that cannot be right anywhere (<c>cuda:x</c>, <c>cpu:1</c>).
    /// </summary>
    public static IBackend Create(string name = "auto")
    {
        ArgumentNullException.ThrowIfNull(name);
        var choice = BackendChoice.Parse(name);
        var key = choice.Name;
        var infos = Probe();
        if (key == "auto")
        {
            var failures = new List<string>();
            foreach (var candidate in AutoOrder)
            {
                var info = infos.FirstOrDefault(i => i.Name == candidate);
                if (info is not { IsAvailable: true }) continue;
                // A device the probe saw can still fail to open (a busy or broken driver): auto then takes the next.
                try { return CreateFrom(new BackendChoice(candidate, null), infos); }
                catch (BackendUnavailableException e) { failures.Add(e.Message); }
            }
            var detail = failures.Count == 0 ? "" : $"; {string.Join("; ", failures)}";
            throw new BackendUnavailableException($"no backend is available (backends present: {Present(infos)}){detail}");
        }
        var match = infos.FirstOrDefault(i => i.Name == key);
        if (match is null)
            throw new BackendUnavailableException($"unknown backend '{name}' (known: {string.Join(", ", infos.Select(i => i.Name))}, auto; present here: {Present(infos)})");
        if (!match.IsAvailable)
            throw new BackendUnavailableException($"backend '{key}' is not available here: {match.UnavailableReason} (present here: {Present(infos)})");
        return CreateFrom(choice, infos);
    }

    /// <summary>The order in which <c>auto</c> tries the backends.</summary>
    public static IReadOnlyList<string> AutoOrder { get; } = ["cuda", "opencl", "cpu"];

    /// <summary>
    /// Why <c>auto</c> did not take the backends it prefers to <paramref name="chosen"/>, as
    /// <c>cuda: reason</c> lines, for those that are installed but cannot run here (for example a
    /// GPU machine whose driver is missing or too old); empty when none was passed over.
    /// </summary>
    public static IReadOnlyList<string> PassedOver(string chosen)
    {
        ArgumentNullException.ThrowIfNull(chosen);
        var lines = new List<string>();
        var infos = Probe();
        foreach (var name in AutoOrder.TakeWhile(n => n != chosen))
        {
            var info = infos.FirstOrDefault(i => i.Name == name);
            if (info is not null && !info.IsAvailable && info.UnavailableReason is { } reason) lines.Add($"{name}: {reason}");
        }
        return lines;
    }

    private static IBackend CreateFrom(BackendChoice choice, IReadOnlyList<BackendInfo> infos)
    {
        var name = choice.Name;
        var info = infos.First(i => i.Name == name);
        var device = choice.DeviceFor(Math.Max(1, info.DeviceCount), BackendChoice.LocalRank());
        List<IBackendProvider> providers;
        lock (Gate) providers = [.. Providers()];
        foreach (var p in providers)
        {
            if (!p.Probe().Any(i => i.Name == name)) continue;
            var backend = p.Create(name, device);
            if (backend is BackendBase) return backend;
            // Only BackendBase checks every call's arguments before the backend's code runs; a backend
            // that skipped it would let a bad shape reach its kernels, so it is refused, not handed out.
            backend.Dispose();
            throw new BackendUnavailableException($"backend '{name}' from {p.GetType().FullName} implements IBackend without deriving from GpuRnn.BackendBase, which checks every call's arguments; derive it from BackendBase");
        }
        throw new BackendUnavailableException($"backend '{name}' has no provider (present here: {Present(infos)})");
    }

    private static string Present(IReadOnlyList<BackendInfo> infos)
    {
        var names = infos.Where(i => i.IsAvailable).Select(i => i.Name).ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    private static List<IBackendProvider> Providers()
    {
        if (_providers is not null) return _providers;
        _providers = [];
        foreach (var typeName in ProviderTypeNames)
        {
            Type? type;
            try { type = Type.GetType(typeName, throwOnError: false); }
            catch (Exception e) when (e is FileLoadException or BadImageFormatException) { type = null; }
            if (type is not null && Activator.CreateInstance(type) is IBackendProvider provider) _providers.Add(provider);
        }
        return _providers;
    }
}
