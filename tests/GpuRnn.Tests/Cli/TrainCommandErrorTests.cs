using System.Text;
using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>Every bad input of train, sample and eval: one line on stderr, the right exit code, nothing written.</summary>
public sealed class TrainCommandErrorTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Out => _folder.File("out/model.safetensors");

    private string File(string name, byte[] bytes)
    {
        var path = _folder.File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    private string TextFile() => File("text.txt", Encoding.UTF8.GetBytes(ArithmeticCorpus.Generate(5, 200)));

    private string Train(int exitCode, params string[] args)
    {
        var line = Gpurnn.Run(["train", "--out", Out, .. TrainCommandTests.Tiny, .. args]).AssertFailed(exitCode);
        Assert.False(System.IO.File.Exists(Out), "a refused run must not write a checkpoint");
        return line;
    }

    private string Checkpoint()
    {
        var path = _folder.File("trained.safetensors");
        Gpurnn.Run(["train", "--data", TextFile(), "--steps", "2", "--out", path, .. TrainCommandTests.Tiny]).AssertSucceeded();
        return path;
    }

    [Fact]
    public void AMissingDataFile()
    {
        var line = Train(ExitCodes.BadInput, "--data", _folder.File("missing.txt"));
        Assert.Contains("data file '", line);
        Assert.Contains("missing.txt' does not exist", line);
    }

    [Fact]
    public void AnEmptyDataFile() => Assert.Contains("is empty (expected UTF-8 text)", Train(ExitCodes.BadInput, "--data", File("empty.txt", [])));

    [Fact]
    public void ABinaryDataFile() =>
        Assert.Contains("is binary (a NUL byte at offset 4)", Train(ExitCodes.BadInput, "--data", File("a.out", [0x7F, (byte)'E', (byte)'L', (byte)'F', 0, 1, 2])));

    [Fact]
    public void ANonUtf8DataFile() =>
        Assert.Contains("is not UTF-8 text (an invalid byte at offset 1)", Train(ExitCodes.BadInput, "--data", File("latin1.txt", Encoding.Latin1.GetBytes("d\u00e9j\u00e0 vu, encore une fois d\u00e9j\u00e0 vu"))));

    [Fact]
    public void ACorpusShorterThanOneBatch()
    {
        // 30 characters: 27 train, fewer than the 4 x 8 + 1 one batch needs.
        var line = Train(ExitCodes.BadInput, "--data", File("short.txt", Encoding.UTF8.GetBytes(new string('a', 29) + "b")));
        Assert.Contains("has 27 characters, shorter than one batch: batch 4 x seq 8 + 1 = 33 are needed", line);
    }

    [Theory]
    [InlineData("--hidden", "0", "--hidden must be positive, got 0")]
    [InlineData("--layers", "-2", "--layers must be positive, got -2")]
    [InlineData("--batch", "0", "--batch must be positive, got 0")]
    [InlineData("--seq", "-1", "--seq must be positive, got -1")]
    [InlineData("--steps", "0", "--steps must be positive, got 0")]
    [InlineData("--embedding", "0", "--embedding must be positive, got 0")]
    [InlineData("--lr", "-0.1", "--lr must be positive, got -0.1")]
    [InlineData("--dropout", "1", "--dropout must be in [0, 1), got 1")]
    [InlineData("--temperature", "0", "--temperature must be positive, got 0")]
    [InlineData("--cell", "transformer", "unknown cell 'transformer'")]
    [InlineData("--optimizer", "lbfgs", "unknown optimizer 'lbfgs'")]
    public void ANonPositiveSizeOrUnknownName(string option, string value, string message)
    {
        var line = Gpurnn.Run(["train", "--out", Out, .. TinyWithout(option), option, value]).AssertFailed(ExitCodes.Usage);
        Assert.Contains(message, line);
    }

    // System.CommandLine's own parse read "1,5" as 15 (thousands separators) and named .NET types
    // in its refusals; every numeric option now takes one invariant form.
    [Theory]
    [InlineData("--lr", "1,5", "--lr expects a number such as 0.005 or 1e-3 (a '.' before the decimals, no thousands separators), got '1,5'")]
    [InlineData("--dropout", "0,25", "--dropout expects a number such as 0.005 or 1e-3 (a '.' before the decimals, no thousands separators), got '0,25'")]
    [InlineData("--hidden", "1,024", "--hidden expects a whole number, got '1,024'")]
    [InlineData("--hidden", "abc", "--hidden expects a whole number, got 'abc'")]
    [InlineData("--steps", "1e3", "--steps expects a whole number, got '1e3'")]
    [InlineData("--hidden", "99999999999", "--hidden expects a whole number from -2147483648 to 2147483647, got '99999999999'")]
    [InlineData("--seed", "-1", "--seed expects a whole number from 0 to 18446744073709551615, got '-1'")]
    public void ANumberNotInTheInvariantFormIsOneUsageLine(string option, string value, string message)
    {
        var line = Gpurnn.Run(["train", "--out", Out, .. TinyWithout(option), option, value]).AssertFailed(ExitCodes.Usage);
        Assert.Equal($"gpurnn: error: {message} (see 'gpurnn train --help')", line);
        Assert.False(System.IO.File.Exists(Out));
    }

    /// <summary>The tiny settings without <paramref name="option"/> and its value, so a test can give its own.</summary>
    private static string[] TinyWithout(string option)
    {
        var args = TrainCommandTests.Tiny;
        var at = Array.IndexOf(args, option);
        return at < 0 ? args : [.. args[..at], .. args[(at + 2)..]];
    }

    [Fact]
    public void ATruncatedCheckpoint()
    {
        var bytes = System.IO.File.ReadAllBytes(Checkpoint());
        var cut = File("cut.safetensors", bytes[..(bytes.Length / 2)]);
        var line = Train(ExitCodes.BadInput, "--resume", cut, "--steps", "4");
        Assert.Contains("cut.safetensors", line);
        var sample = Gpurnn.Run("sample", "--model", cut, "--backend", "cpu").AssertFailed(ExitCodes.BadInput);
        Assert.Contains("cut.safetensors", sample);
    }

    [Fact]
    public void AForeignCheckpoint()
    {
        var plain = _folder.File("lstm.safetensors");
        SafeTensors.Write(plain, [new("weight_ih_l0", HostTensor.Zeros(new Shape(8, 3), DType.Float32))], new Dictionary<string, string> { ["cell"] = "lstm" });
        Assert.Contains("is not a GpuRnn training checkpoint", Train(ExitCodes.BadInput, "--resume", plain, "--steps", "4"));
        Assert.Contains("is not a GpuRnn training checkpoint", Gpurnn.Run("sample", "--model", plain).AssertFailed(ExitCodes.BadInput));
        Assert.Contains("is not a GpuRnn training checkpoint", Gpurnn.Run("eval", "--model", plain, "--data", TextFile()).AssertFailed(ExitCodes.BadInput));
    }

    [Fact]
    public void AResumeWhoseSpecDoesNotMatch()
    {
        var checkpoint = Checkpoint();
        var data = _folder.File("text.txt");
        var hidden = Gpurnn.Run("train", "--data", data, "--resume", checkpoint, "--steps", "4", "--hidden", "16", "--out", Out).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("--hidden 16 does not match the checkpoint being resumed (hidden size 8)", hidden);
        var cell = Gpurnn.Run("train", "--data", data, "--resume", checkpoint, "--steps", "4", "--cell", "gru", "--out", Out).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("--cell gru does not match the checkpoint being resumed (cell lstm)", cell);
        var done = Gpurnn.Run("train", "--data", data, "--resume", checkpoint, "--out", Out).AssertFailed(ExitCodes.Usage);
        Assert.Contains("is already at step 2; give --steps above 2", done);
        var other = File("other.txt", Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog. " + ArithmeticCorpus.Generate(1, 100)));
        var vocabulary = Gpurnn.Run("train", "--data", other, "--resume", checkpoint, "--steps", "4", "--out", Out).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("which is not in the model's vocabulary", vocabulary);
        Assert.False(System.IO.File.Exists(Out));
    }

    [Fact]
    public void SamplingWithATemperatureAtOrBelowZeroOrAPrimeOutsideTheVocabulary()
    {
        var checkpoint = Checkpoint();
        Assert.Contains("--temperature must be positive, got 0",
            Gpurnn.Run("sample", "--model", checkpoint, "--temperature", "0").AssertFailed(ExitCodes.Usage));
        Assert.Contains("--temperature must be positive, got -1.5",
            Gpurnn.Run("sample", "--model", checkpoint, "--temperature", "-1.5").AssertFailed(ExitCodes.Usage));
        Assert.Contains("the prime text has the character 'x' (U+0078) at position 2, which is not in the model's vocabulary",
            Gpurnn.Run("sample", "--model", checkpoint, "--prime", "12x3").AssertFailed(ExitCodes.BadInput));
        Assert.Contains("data file", Gpurnn.Run("eval", "--model", checkpoint, "--data", File("letters.txt", Encoding.UTF8.GetBytes("hello world"))).AssertFailed(ExitCodes.BadInput));
    }

    [Fact]
    public void AnUnwritableOutputFolder()
    {
        // A folder cannot be made under a file: refused even for a user who may write anywhere.
        var file = File("not-a-folder", [1]);
        var line = Gpurnn.Run(["train", "--data", TextFile(), "--out", Path.Combine(file, "run", "model.safetensors"), .. TrainCommandTests.Tiny]).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("cannot write to the output folder", line);
        Assert.Contains("--out", Gpurnn.Run(["train", "--data", TextFile(), "--out", _folder.Path, .. TrainCommandTests.Tiny]).AssertFailed(ExitCodes.Usage));
    }
}
