using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace GpuRnn.Tests.IO;

/// <summary>
/// A writer killed mid-write leaves <c>PATH.tmp-*</c> behind; the next write to that path removes
/// the temporaries whose writer is gone, and nothing else.
/// </summary>
public sealed class StaleTemporaryTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static int EndedProcessId()
    {
        using var process = Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }

    [Fact]
    public void TheNextWriteRemovesOnlyItsOwnStaleTemporaries()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) Assert.Skip("starts and ends processes with POSIX true and sleep");
        var rng = TestRandom.Create();
        var checkpoint = _folder.File("model.safetensors");
        string Temporary(string owner, string suffix) => string.Create(CultureInfo.InvariantCulture, $"{owner}.tmp-{suffix}");
        string Hex() => Convert.ToHexString(BitConverter.GetBytes(rng.NextInt64())[..6]).ToLowerInvariant();

        using var alive = Process.Start("sleep", "60")!;
        try
        {
            var dead = EndedProcessId();
            var stale = new[]
            {
                Temporary(checkpoint, $"{dead}-{Hex()}"),                       // its writer was killed
                Temporary(checkpoint, $"{Environment.ProcessId}-{Hex()}"),      // this process id, but no write runs here: pid reused
                Temporary(checkpoint, Hex()),                                   // the older form without a writer, from an hour ago
            };
            var kept = new[]
            {
                Temporary(checkpoint, $"{alive.Id}-{Hex()}"),                   // its writer still runs
                Temporary(checkpoint, Hex()),                                   // the older form, written just now
                Temporary(_folder.File("other.safetensors"), $"{dead}-{Hex()}"), // another checkpoint's
                Temporary(checkpoint, "notes.txt"),                             // not a temporary at all
                _folder.File("model.safetensors.lock"),
            };
            foreach (var file in stale.Concat(kept)) File.WriteAllBytes(file, BitConverter.GetBytes(rng.NextInt64()));
            File.SetLastWriteTimeUtc(stale[2], DateTime.UtcNow.AddHours(-1));

            var tensor = HostTensor.FromArray(Enumerable.Range(0, 6).Select(_ => (float)rng.NextDouble()).ToArray(), new Shape(3, 2));
            SafeTensors.Write(checkpoint, [new("w", tensor)]);

            Assert.Equal(tensor.AsFloat32(), SafeTensors.Read(checkpoint)["w"].AsFloat32());
            Assert.All(stale, f => Assert.False(File.Exists(f), $"{Path.GetFileName(f)} was left"));
            Assert.All(kept, f => Assert.True(File.Exists(f), $"{Path.GetFileName(f)} was removed"));
        }
        finally
        {
            alive.Kill();
            alive.WaitForExit();
        }
    }
}
