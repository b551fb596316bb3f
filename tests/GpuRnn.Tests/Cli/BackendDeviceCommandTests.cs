using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// <c>--backend name:K</c> through the commands: a device number that cannot be right is one usage
/// line in every command that takes <c>--backend</c>, one beyond the devices present one line
/// naming K and the count, and <c>ilgpu-cpu:0</c> / <c>opencl:0</c> run the same as the plain name.
/// </summary>
public sealed class BackendDeviceCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string[] Train(string backend, string output, string seed, string? data = null) =>
        ["train", "--steps", "2", "--eval-every", "0", "--sample-length", "0", "--hidden", "8", "--embedding", "4",
            "--batch", "2", "--seq", "8", "--seed", seed, "--backend", backend, "--out", output, .. data is null ? Array.Empty<string>() : ["--data", data]];

    // A small text of fresh arithmetic lines for runs on the emulated and OpenCL devices: the report at
    // the end of training evaluates the whole validation text, which for the built-in corpus (30,813
    // characters) took ilgpu-cpu's emulated kernels about nine minutes per run.
    private string SmallText()
    {
        var path = _folder.File("text.txt");
        if (!File.Exists(path))
        {
            var rng = TestRandom.Create();
            File.WriteAllLines(path, Enumerable.Range(0, 200).Select(_ => { int a = rng.Next(100), b = rng.Next(100); return $"{a}+{b}={a + b}"; }));
        }
        return path;
    }

    private static string Seed() => TestRandom.Create().Next().ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("cpu:1", "cpu has one device")]
    [InlineData("ilgpu-cpu:2", "ilgpu-cpu has one device")]
    [InlineData("cuda:x", "must be a whole number 0 or more")]
    [InlineData("auto:0", "auto takes no device number")]
    public void AWrongDeviceNumberIsOneUsageLineInEveryCommand(string backend, string expected)
    {
        var model = _folder.File("model.safetensors");
        Gpurnn.Run(Train("cpu", model, Seed())).AssertSucceeded();
        string[][] commands =
        [
            Train(backend, _folder.File("other.safetensors"), "1"),
            ["eval", "--model", model, "--backend", backend],
            ["sample", "--model", model, "--length", "5", "--backend", backend],
            ["bench", "--backend", backend, "--reps", "1", "--warmup", "0"],
        ];
        foreach (var args in commands)
        {
            var line = Gpurnn.Run(args).AssertFailed(ExitCodes.Usage);
            Assert.Contains($"backend '{backend}'", line);
            Assert.Contains(expected, line);
        }
    }

    [Theory]
    [InlineData("ilgpu-cpu")]
    [InlineData("opencl")]
    public void DeviceZeroTrainsTheSameBitsAsThePlainName(string name)
    {
        var info = Backend.Probe().First(i => i.Name == name);
        Assert.SkipUnless(info.IsAvailable, $"backend '{name}' is not available: {info.UnavailableReason}");
        var seed = Seed();
        var (plain, zero) = (_folder.File("plain.safetensors"), _folder.File("zero.safetensors"));
        var text = SmallText();
        Gpurnn.Run(Train(name, plain, seed, text)).AssertSucceeded();
        var result = Gpurnn.Run(Train($"{name}:0", zero, seed, text));
        result.AssertSucceeded();
        Assert.Contains($"backend: {name} (", result.Out);
        var (expected, actual) = (Checkpoint.Load(plain), Checkpoint.Load(zero));
        for (var k = 0; k < expected.Parameters.Count; k++)
            Assert.Equal(expected.Parameters[k].Value.ToFloat64Array(), actual.Parameters[k].Value.ToFloat64Array());

        var sample = Gpurnn.Run("sample", "--model", zero, "--length", "5", "--seed", seed, "--backend", $"{name}:0");
        sample.AssertSucceeded();
        Assert.Equal(Gpurnn.Run("sample", "--model", zero, "--length", "5", "--seed", seed, "--backend", name).Out, sample.Out);
    }

    [Theory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void ADeviceBeyondThoseHereNamesKAndTheCount(string name)
    {
        var info = Backend.Probe().First(i => i.Name == name);
        Assert.SkipUnless(info.IsAvailable, $"backend '{name}' is not available: {info.UnavailableReason}");
        var k = info.DeviceCount;   // with PoCL's one CPU device: opencl:1
        var line = Gpurnn.Run(Train($"{name}:{k}", _folder.File("model.safetensors"), Seed())).AssertFailed(ExitCodes.BackendUnavailable);
        Assert.Contains($"backend '{name}:{k}': there is no device {k}; {name} has {k} usable device{(k == 1 ? "" : "s")} here", line);
        Assert.False(File.Exists(_folder.File("model.safetensors")));
    }
}
