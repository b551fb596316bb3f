using Xunit;

namespace GpuRnn.Tests;

/// <summary>
/// One case per backend: a present one holds what it is given; an absent one, or one that lacks a
/// dtype, is one skipped case saying why and how many cases of the run it leaves out (see
/// <see cref="TestBackends"/>).
/// </summary>
public sealed class BackendAvailabilityTests
{
    /// <summary>Every backend, present or not.</summary>
    public static TheoryData<string> Every => new(TestBackends.All);

    [Theory]
    [MemberData(nameof(Every))]
    public void EachBackendRunsHereOrIsSkippedOnceWithItsReason(string name)
    {
        if (TestBackends.Absence(name) is { } reason)
        {
            var left = TestBackends.ListEachSkip ? "each of its cases is skipped below" : $"{TestBackends.CasesOf(name)} cases of it are left out (GPURNN_TEST_SKIPS=each lists each)";
            Assert.Skip($"backend '{name}' is not available: {reason}; {left}");
        }
        var backend = TestBackends.Get(name);
        var lacking = ((DType[])[DType.Float32, DType.Float64]).Where(d => !backend.Supports(d)).ToList();
        if (lacking.Count > 0 && !TestBackends.ListEachSkip)
            Assert.Skip(string.Join("; ", lacking.Select(d => $"backend '{name}' does not compute in {d.DisplayName()}; {TestBackends.CasesOf(name, d)} cases of it in {d.DisplayName()} are left out (GPURNN_TEST_SKIPS=each lists each)")));
        var rng = TestRandom.Create();
        var values = Enumerable.Range(0, rng.Next(1, 64)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        using var tensor = HostTensor.FromArray(values, new Shape(values.Length)).ToDevice(TestBackends.Get(name));
        Assert.Equal(values, tensor.ToHost().AsFloat32());
    }
}
