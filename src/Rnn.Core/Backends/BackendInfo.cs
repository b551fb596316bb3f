namespace GpuRnn;

/// <summary>What a backend name stands for on this machine.</summary>
/// <param name="Name">The name it is chosen by (<c>cpu</c>, <c>ilgpu-cpu</c>, <c>cuda</c>, <c>opencl</c>).</param>
/// <param name="IsAvailable">Whether <see cref="Backend.Create"/> can create it here.</param>
/// <param name="Description">The device it runs on, or what it would need.</param>
/// <param name="UnavailableReason">Why it cannot run here, when it cannot.</param>
public sealed record BackendInfo(string Name, bool IsAvailable, string Description, string? UnavailableReason = null);

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
}

/// <summary>A backend that was asked for by name cannot be created on this machine.</summary>
public sealed class BackendUnavailableException(string message) : Exception(message);
