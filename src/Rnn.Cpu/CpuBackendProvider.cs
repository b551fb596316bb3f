namespace GpuRnn.Cpu;

/// <summary>Makes the <c>cpu</c> backend known to <see cref="Backend"/>.</summary>
public sealed class CpuBackendProvider : IBackendProvider
{
    /// <inheritdoc/>
    public IReadOnlyList<BackendInfo> Probe() => [new BackendInfo("cpu", true, CpuBackend.DescribeMachine())];

    /// <inheritdoc/>
    public IBackend Create(string name) => name == "cpu"
        ? new CpuBackend()
        : throw new BackendUnavailableException($"the CPU provider does not serve backend '{name}'");
}
