namespace GpuRnn;

/// <summary>What a backend name stands for on this machine.</summary>
/// <param name="Name">The name it is chosen by (<c>cpu</c>, <c>ilgpu-cpu</c>, <c>cuda</c>, <c>opencl</c>).</param>
/// <param name="IsAvailable">Whether <see cref="Backend.Create"/> can create it here.</param>
/// <param name="Description">The device it runs on, or what it would need.</param>
/// <param name="UnavailableReason">Why it cannot run here, when it cannot.</param>
public sealed record BackendInfo(string Name, bool IsAvailable, string Description, string? UnavailableReason = null)
{
    /// <summary>
    /// How many devices <c>name:K</c> can pick from (K = 0 .. DeviceCount - 1, numbered as
    /// <c>gpurnn devices</c> numbers the usable ones): 1 for an available backend unless its
    /// provider says more, 0 for one that is not available.
    /// </summary>
    public int DeviceCount { get; init; } = IsAvailable ? 1 : 0;
}

/// <summary>
/// Makes the backends of one assembly known to <see cref="Backend"/>. GpuRnn.Cpu and
/// GpuRnn.Gpu each have one, found by name when their assembly is deployed.
/// </summary>
public interface IBackendProvider
{
    /// <summary>The backend names this provider serves, with their availability here.</summary>
    IReadOnlyList<BackendInfo> Probe();

    /// <summary>
    /// Creates the backend of that name, a <see cref="BackendBase"/> (so its arguments are checked);
    /// throws <see cref="BackendUnavailableException"/> if it cannot run here.
    /// </summary>
    IBackend Create(string name);

    /// <summary>
    /// Creates the backend of that name on its <paramref name="device"/>-th usable device
    /// (0 .. <see cref="BackendInfo.DeviceCount"/> - 1). The default serves device 0 alone, through
    /// <see cref="Create(string)"/>; a provider of several devices overrides it.
    /// </summary>
    IBackend Create(string name, int device) => device == 0
        ? Create(name)
        : throw new BackendUnavailableException($"backend '{name}' has one device, #0; device {device} does not exist");
}

/// <summary>
/// A backend name that cannot mean anything anywhere (<c>cuda:x</c>, <c>cpu:1</c>, <c>auto:0</c>): a
/// usage error, unlike <see cref="BackendUnavailableException"/> for a backend or device absent here.
/// </summary>
public sealed class BackendNameException(string message) : ArgumentException(message);

/// <summary>A backend that was asked for by name cannot be created on this machine.</summary>
public sealed class BackendUnavailableException(string message) : Exception(message);
