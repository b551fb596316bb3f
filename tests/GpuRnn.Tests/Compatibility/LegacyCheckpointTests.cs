using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Compatibility;

/// <summary>
/// The tests' writer of the old character-model format (<see cref="LegacyCheckpoint"/>) writes what
/// earlier versions wrote: a fixture file read and written again comes back byte for byte.
/// </summary>
public sealed class LegacyCheckpointTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> CharModels => [.. CheckpointFixture.CharModels];

    [Theory]
    [MemberData(nameof(CharModels))]
    public void AFixtureWrittenAgainIsTheSameBytes(string name)
    {
        var path = Path.Combine(CheckpointFixture.Folder, name + ".safetensors");
        Assert.True(File.Exists(path), $"fixture {path} is missing");
        var again = _folder.File(name + ".safetensors");
        LegacyCheckpoint.Save(again, LegacyCheckpoint.From(Checkpoint.Load(path)));
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(again));
    }
}
