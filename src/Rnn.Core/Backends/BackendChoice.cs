using System.Globalization;

namespace GpuRnn;

/// <summary>
/// A backend as <c>--backend</c> and <see cref="Backend.Create"/> take it: a name, and for
/// <c>cuda</c> and <c>opencl</c> optionally <c>:K</c>, the K-th usable device of that runtime as
/// <c>gpurnn devices</c> numbers them (<c>cuda:1</c>). <c>cpu</c> and <c>ilgpu-cpu</c> have one
/// device, so only <c>:0</c> is accepted there; <c>auto</c> takes none.
/// </summary>
/// <param name="Name">The backend name, lower case: <c>cpu</c>, <c>ilgpu-cpu</c>, <c>cuda</c>, <c>opencl</c>, <c>auto</c>, or a registered provider's.</param>
/// <param name="Device">The device index K when one was given, else null (<see cref="DeviceFor"/> then picks one).</param>
public readonly record struct BackendChoice(string Name, int? Device)
{
    /// <summary>
    /// The variables MPI launchers set to a process's rank among the ranks of its node, in the
    /// order they are read: Open MPI's, MPICH's (Hydra), Slurm's.
    /// </summary>
    public static IReadOnlyList<string> LocalRankVariables { get; } = ["OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"];

    /// <summary>Reads <c>name</c> or <c>name:K</c>.</summary>
    /// <exception cref="BackendNameException">K is not a whole number 0 or more, or the backend takes no K other than 0.</exception>
    public static BackendChoice Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim().ToLowerInvariant();
        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return new BackendChoice(trimmed, null);
        var (name, index) = (trimmed[..colon], trimmed[(colon + 1)..]);
        if (!int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var device))
            throw new BackendNameException($"backend '{text.Trim()}': the device after ':' must be a whole number 0 or more (as gpurnn devices numbers them), got '{index}'");
        if (name == "auto")
            throw new BackendNameException($"backend '{text.Trim()}': auto takes no device number; name the backend (cuda:{device} or opencl:{device})");
        if (name is "cpu" or "ilgpu-cpu" && device != 0)
            throw new BackendNameException($"backend '{text.Trim()}': {name} has one device, so the device number must be 0 or left out, got {device}");
        return new BackendChoice(name, device);
    }

    /// <summary>
    /// This process's rank on its node, from the first of <see cref="LocalRankVariables"/> that is
    /// set; null when none is (no MPI launcher).
    /// </summary>
    /// <param name="environment">Reads a variable (default: the process environment).</param>
    /// <exception cref="ArgumentException">The variable is set to something other than a whole number 0 or more.</exception>
    public static int? LocalRank(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        foreach (var variable in LocalRankVariables)
        {
            var value = environment(variable);
            if (string.IsNullOrWhiteSpace(value)) continue;
            return int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var rank)
                ? rank
                : throw new ArgumentException($"{variable} is '{value}'; expected the local rank, a whole number 0 or more");
        }
        return null;
    }

    /// <summary>
    /// The device this choice runs on among <paramref name="deviceCount"/> usable ones: K when one
    /// was given, else the local rank modulo the count (so that ranks sharing a node spread over
    /// its devices), else 0.
    /// </summary>
    /// <param name="deviceCount">Usable devices of the backend (at least 1).</param>
    /// <param name="localRank">The rank on this node (<see cref="LocalRank"/>), or null outside a launcher.</param>
    /// <exception cref="BackendUnavailableException">K is not below <paramref name="deviceCount"/>.</exception>
    public int DeviceFor(int deviceCount, int? localRank)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(deviceCount, 1);
        if (Device is { } k)
        {
            return k < deviceCount
                ? k
                : throw new BackendUnavailableException($"backend '{Name}:{k}': there is no device {k}; {Name} has {deviceCount} usable device{(deviceCount == 1 ? "" : "s")} here, numbered 0 to {deviceCount - 1} (see gpurnn devices)");
        }
        return localRank is { } r ? r % deviceCount : 0;
    }

    /// <summary><c>name</c> or <c>name:K</c>.</summary>
    public override string ToString() => Device is { } k ? $"{Name}:{k}" : Name;
}
