using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// Files that lie or are not files at all (issue 14, part A): metadata that claims a model its
/// tensors cannot back, sizes past int32, NaN weights, FIFOs and devices, invalid UTF-8 headers,
/// malformed task data. Each is refused at once with one line naming the file and the problem and
/// the documented exit code, before anything large is allocated.
/// </summary>
public sealed partial class HostileFileTests : IDisposable
{
    // What a refused load may allocate on the calling thread: the command line, the header and the
    // small file itself; a model built from the lying metadata would take far more.
    private const long RefusalBytes = 16 << 20;

    private readonly TempFolder _folder = new();
    private readonly Random _rng = TestRandom.Create();

    public void Dispose() => _folder.Dispose();

    private string Write(string name, string text)
    {
        var path = _folder.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private string CharCheckpoint()
    {
        var text = Write("text.txt", ArithmeticCorpus.Generate((ulong)_rng.Next(), 300));
        var path = _folder.File("char.safetensors");
        Gpurnn.Run(["train", "--data", text, "--steps", "1", "--out", path, .. TrainCommandTests.Tiny]).AssertSucceeded();
        return path;
    }

    private string Checkpoint(string task, string data)
    {
        var path = _folder.File($"{task}.safetensors");
        Gpurnn.Run(["train", "--task", task, "--data", TaskCommandTests.Sample(data), "--steps", "1", "--out", path, .. TaskCommandTests.Tiny]).AssertSucceeded();
        return path;
    }

    /// <summary>Rewrites a safetensors file with its metadata and tensors edited.</summary>
    private static void Rewrite(string path, Action<Dictionary<string, string>> metadata, Action<List<KeyValuePair<string, HostTensor>>>? tensors = null)
    {
        var file = SafeTensors.Read(path);
        var meta = new Dictionary<string, string>(file.Metadata);
        metadata(meta);
        var list = file.Tensors.ToList();
        tensors?.Invoke(list);
        SafeTensors.Write(path, list, meta);
    }

    private static string WithField(string json, string key, long value)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        o[key] = value;
        return o.ToJsonString();
    }

    private static (Gpurnn.Result Result, long Allocated) Measure(params string[] args)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = Gpurnn.Run(args);
        return (result, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("sample")]
    [InlineData("eval")]
    public void ACharacterCheckpointWhoseMetadataClaimsAHiddenSizeItsTensorsLackIsRefusedBeforeAllocating(string command)
    {
        var path = CharCheckpoint();
        var claimed = _rng.Next(1500, 2500);
        Rewrite(path, m => m["model"] = WithField(m["model"], "hidden_size", claimed));
        string[] args = command == "sample"
            ? ["sample", "--model", path, "--length", "5", "--backend", "cpu"]
            : ["eval", "--model", path, "--data", Write("eval.txt", ArithmeticCorpus.Generate(3, 50)), "--backend", "cpu"];
        var (result, allocated) = Measure(args);
        var line = result.AssertFailed(ExitCodes.BadInput);
        Assert.Contains(path, line);
        Assert.Contains($"of {claimed}", line);
        Assert.Contains("rnn.weight_ih_l0", line);
        Assert.True(allocated < RefusalBytes, $"refusing the file allocated {allocated:N0} bytes");
    }

    [Fact]
    public void ACheckpointWithAHiddenSizePastInt32IsAFileErrorNamingTheFile()
    {
        var path = CharCheckpoint();
        Rewrite(path, m => m["model"] = WithField(m["model"], "hidden_size", 1_000_000_000));
        var line = Gpurnn.Run("sample", "--model", path, "--length", "5", "--backend", "cpu").AssertFailed(ExitCodes.BadInput);
        Assert.Contains(path, line);
        Assert.Contains("1000000000", line);
        Assert.Contains("more than the 2147483647 elements one tensor can hold", line);
    }

    [Fact]
    public void ACheckpointsTrainingLengthOfABillionDoesNotMakeEvalAllocateForIt()
    {
        var path = CharCheckpoint();
        Rewrite(path, m => m["training"] = WithField(m["training"], "seq", 1_000_000_000));
        var data = Write("eval.txt", ArithmeticCorpus.Generate((ulong)_rng.Next(), 40));
        var (result, allocated) = Measure("eval", "--model", path, "--data", data, "--backend", "cpu");
        result.AssertSucceeded();
        Assert.Contains("evaluated ", result.Out);
        Assert.True(allocated < 64 << 20, $"eval allocated {allocated:N0} bytes for a tiny model and text");
    }

    [Fact]
    public void ATaskCheckpointWhoseMetadataClaimsAHiddenSizeItsTensorsLackIsRefusedBeforeAllocating()
    {
        var path = Checkpoint("classify", "intents.tsv");
        var claimed = _rng.Next(4000, 7000);
        Rewrite(path, m => m["model"] = WithField(m["model"], "hidden_size", claimed));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = Gpurnn.RunWithInput("play some jazz\n", "predict", "--model", path, "--backend", "cpu");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var line = result.AssertFailed(ExitCodes.BadInput);
        Assert.Contains(path, line);
        Assert.Contains($"of {claimed}", line);
        Assert.True(allocated < RefusalBytes, $"refusing the file allocated {allocated:N0} bytes");
    }

    [Fact]
    public void ATaskCheckpointWhoseTaskMetadataContradictsItsSpecIsAFileError()
    {
        var path = Checkpoint("classify", "intents.tsv");
        Rewrite(path, m => m["task"] = "tag");
        var line = Gpurnn.Run("eval", "--model", path, "--data", TaskCommandTests.Sample("intents.tsv"), "--backend", "cpu").AssertFailed(ExitCodes.BadInput);
        Assert.Contains(path, line);
        Assert.Contains("metadata task='tag' contradicts the model spec", line);
        Assert.Contains("classify", line);
    }

    [Fact]
    public void TrainWithAHiddenSizePastInt32IsAUsageErrorNamingTheOptionAndMakesNoFolder()
    {
        var text = Write("text.txt", ArithmeticCorpus.Generate(5, 300));
        var folder = _folder.File("run");
        var hidden = _rng.Next(100_000, 1_000_000_000);
        var line = Gpurnn.Run("train", "--data", text, "--hidden", hidden.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--out", Path.Combine(folder, "model.safetensors"), "--backend", "cpu").AssertFailed(ExitCodes.Usage);
        Assert.Contains($"--hidden {hidden}", line);
        Assert.Contains("too large", line);
        Assert.False(Directory.Exists(folder), "a refused run must not make its run folder");
    }

    [Fact]
    public void ATaskWithAHiddenSizePastInt32IsAUsageErrorNamingTheOption()
    {
        var folder = _folder.File("run");
        var line = Gpurnn.Run("train", "--task", "classify", "--data", TaskCommandTests.Sample("intents.tsv"), "--hidden", "1000000000",
            "--out", Path.Combine(folder, "model.safetensors"), "--backend", "cpu").AssertFailed(ExitCodes.Usage);
        Assert.Contains("--hidden 1000000000", line);
        Assert.False(Directory.Exists(folder), "a refused run must not make its run folder");
    }

    [Fact]
    public void NaNWeightsInAModelFileAreRefusedByRunNamingTheTensorAndIndex()
    {
        using var cpu = new GpuRnn.Cpu.CpuBackend();
        var spec = RandomSpecs.Draw(_rng, RnnCellKind.Lstm);
        using var stack = new RnnStack(cpu, spec, DType.Float32, seed: (ulong)_rng.NextInt64());
        var model = _folder.File("model.safetensors");
        RnnModelFile.Save(model, stack);
        var hh = stack.StateDict().First(kv => kv.Key == "weight_hh_l0").Value;
        int row = _rng.Next(hh.Shape[0]), column = _rng.Next(hh.Shape[1]);
        var bad = _rng.Next(2) == 0 ? float.NaN : float.PositiveInfinity;
        Rewrite(model, _ => { }, list =>
        {
            var i = list.FindIndex(kv => kv.Key == "weight_hh_l0");
            list[i].Value.AsFloat32()[row * hh.Shape[1] + column] = bad;
        });
        var input = _folder.File("input.safetensors");
        SafeTensors.Write(input, [new("x", TestRandom.Tensor(_rng, new Shape(3, 2, spec.InputSize), DType.Float32))]);
        var output = _folder.File("out.safetensors");
        var line = Gpurnn.Run("run", "--model", model, "--input", input, "--output", output, "--backend", "cpu").AssertFailed(ExitCodes.BadInput);
        Assert.Contains($"{model}: tensor weight_hh_l0[{row}, {column}] is {(float.IsNaN(bad) ? "NaN" : "Infinity")}", line);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("sample")]
    [InlineData("eval")]
    public void NaNWeightsInACheckpointAreRefusedNamingTheTensorAndIndex(string command)
    {
        var path = CharCheckpoint();
        var at = 0;
        Rewrite(path, _ => { }, list =>
        {
            var decoder = list.First(kv => kv.Key == "decoder.weight").Value.AsFloat32();
            at = _rng.Next(decoder.Length);
            decoder[at] = float.NaN;
        });
        string[] args = command == "sample"
            ? ["sample", "--model", path, "--length", "5", "--backend", "cpu"]
            : ["eval", "--model", path, "--data", Write("eval.txt", ArithmeticCorpus.Generate(3, 50)), "--backend", "cpu"];
        var line = Gpurnn.Run(args).AssertFailed(ExitCodes.BadInput);
        Assert.Contains($"{path}: tensor decoder.weight[", line);
        Assert.Contains("] is NaN", line);
    }

    [Fact]
    public void NaNInACheckpointsOptimizerStateIsRefusedOnResume()
    {
        var path = CharCheckpoint();
        Rewrite(path, _ => { }, list =>
        {
            var state = list.First(kv => kv.Key.StartsWith("optimizer.", StringComparison.Ordinal)).Value.AsFloat32();
            state[_rng.Next(state.Length)] = float.NegativeInfinity;
        });
        var line = Gpurnn.Run("train", "--resume", path, "--data", _folder.File("text.txt"), "--steps", "3", "--backend", "cpu").AssertFailed(ExitCodes.BadInput);
        Assert.Contains($"{path}: tensor optimizer.", line);
        Assert.Contains("is -Infinity", line);
    }

    // A header whose metadata value holds the bytes C3 28: not UTF-8.
    private string InvalidUtf8Header(string name)
    {
        var before = Encoding.ASCII.GetBytes("{\"__metadata__\":{\"note\":\"");
        var after = Encoding.ASCII.GetBytes("\"}}   ");
        byte[] header = [.. before, 0xC3, 0x28, .. after];
        var bytes = new byte[8 + header.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return RawSafeTensors.WriteTo(_folder.File(name), bytes);
    }

    [Theory]
    [InlineData("run-model")]
    [InlineData("run-input")]
    [InlineData("eval")]
    [InlineData("sample")]
    public void AnInvalidUtf8HeaderIsAMalformedFile(string where)
    {
        var bad = InvalidUtf8Header("bad.safetensors");
        using var cpu = new GpuRnn.Cpu.CpuBackend();
        var spec = RandomSpecs.Draw(_rng, RnnCellKind.Gru);
        using var stack = new RnnStack(cpu, spec, DType.Float32, seed: 3);
        var model = _folder.File("model.safetensors");
        RnnModelFile.Save(model, stack);
        string[] args = where switch
        {
            "run-model" => ["run", "--model", bad, "--input", model, "--output", _folder.File("o.safetensors"), "--backend", "cpu"],
            "run-input" => ["run", "--model", model, "--input", bad, "--output", _folder.File("o.safetensors"), "--backend", "cpu"],
            "eval" => ["eval", "--model", bad, "--data", Write("t.txt", "1+1=2\n"), "--backend", "cpu"],
            _ => ["sample", "--model", bad, "--backend", "cpu"],
        };
        var line = Gpurnn.Run(args).AssertFailed(ExitCodes.BadInput);
        Assert.Contains($"{bad}: the header is not valid UTF-8", line);
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MakeFifo(string path, uint mode);

    private string Fifo()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("FIFOs are made with mkfifo, on Linux");
        var path = _folder.File("fifo");
        Assert.Equal(0, MakeFifo(path, 0x180));
        return path;
    }

    /// <summary>Runs a command that must not block; if it does (the bug), a writer is opened and closed so the reader sees the end and the test ends.</summary>
    private static Gpurnn.Result RunBeside(string fifo, string? stdin, string[] args)
    {
        var run = Task.Run(() => Gpurnn.RunWithInput(stdin, args));
        if (!run.Wait(TimeSpan.FromSeconds(60)))
        {
            using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { }
            run.Wait();
            Assert.Fail($"gpurnn {string.Join(' ', args)} blocked on the FIFO");
        }
        return run.Result;
    }

    [Theory]
    [InlineData("run --model")]
    [InlineData("run --input")]
    [InlineData("train --data")]
    [InlineData("train --resume")]
    [InlineData("sample --model")]
    [InlineData("eval --model")]
    [InlineData("eval --data")]
    [InlineData("predict --model")]
    [InlineData("predict --input")]
    public void AFifoGivenAsAFileIsRefusedAtOnceNamingIt(string where)
    {
        var fifo = Fifo();
        var model = _folder.File("model.safetensors");
        using (var cpu = new GpuRnn.Cpu.CpuBackend())
        using (var stack = new RnnStack(cpu, new RnnSpec(RnnCellKind.Lstm, 3, 4), DType.Float32, seed: 1))
            RnnModelFile.Save(model, stack);
        var task = where.StartsWith("predict", StringComparison.Ordinal) || where == "eval --data" ? Checkpoint("adding", "adding.tsv") : model;
        string[] args = where switch
        {
            "run --model" => ["run", "--model", fifo, "--input", model, "--output", _folder.File("o.safetensors")],
            "run --input" => ["run", "--model", model, "--input", fifo, "--output", _folder.File("o.safetensors")],
            "train --data" => ["train", "--data", fifo, "--out", _folder.File("r/m.safetensors")],
            "train --resume" => ["train", "--resume", fifo],
            "sample --model" => ["sample", "--model", fifo],
            "eval --model" => ["eval", "--model", fifo, "--data", model],
            "eval --data" => ["eval", "--model", task, "--data", fifo],
            "predict --model" => ["predict", "--model", fifo],
            _ => ["predict", "--model", task, "--input", fifo],
        };
        var line = RunBeside(fifo, "0.5,1 0.2,0\n", [.. args, "--backend", "cpu"]).AssertFailed(ExitCodes.BadInput);
        Assert.Contains(fifo, line);
        Assert.Contains("is not a regular file (it is a FIFO", line);
    }

    [Theory]
    [InlineData("/dev/null", "a character device")]
    [InlineData("/proc/self/status", "a special file whose size is not known")]
    public void ADeviceOrProcFileGivenAsAModelIsNotARegularFile(string path, string kind)
    {
        if (!File.Exists(path)) Assert.Skip($"{path} does not exist on this system");
        var line = Gpurnn.Run("sample", "--model", path, "--backend", "cpu").AssertFailed(ExitCodes.BadInput);
        Assert.Contains($"{path}: is not a regular file (it is {kind}", line);
    }

    [Fact]
    public void ASeq2SeqLineWithThreeTabFieldsIsAFileErrorNamingTheLine()
    {
        var data = Write("pairs.tsv", "one\t1\ntwo\t2\nthree\t3\textra\nfour\t4\n");
        var line = Gpurnn.Run(["train", "--task", "seq2seq", "--data", data, "--steps", "1", "--out", _folder.File("m.safetensors"), .. TaskCommandTests.Tiny])
            .AssertFailed(ExitCodes.BadInput);
        Assert.Contains($"data file '{data}', line 3: ", line);
        Assert.Contains("3 tab-separated fields", line);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("0.5")]
    [InlineData("-1")]
    public void AnAddingMarkerOtherThanZeroOrOneIsAFileErrorNamingTheLine(string marker)
    {
        var data = Write("adding.tsv", $"0.5\t0.1,1 0.4,1 0.3,0\n0.7\t0.3,1 0.2,0 0.4,{marker}\n");
        var line = Gpurnn.Run(["train", "--task", "adding", "--data", data, "--steps", "1", "--out", _folder.File("m.safetensors"), .. TaskCommandTests.Tiny])
            .AssertFailed(ExitCodes.BadInput);
        Assert.Contains($"data file '{data}', line 2: ", line);
        Assert.Contains($"marker {marker} is not 0 or 1", line);
    }

    [Fact]
    public void PredictRefusesABlankInputLineNamingItSoResultsLineUpWithInputs()
    {
        var checkpoint = Checkpoint("seq2seq", "dates.tsv");
        var input = Write("in.txt", "3 march 2021\n\n17 july 1999\n");
        var line = Gpurnn.Run("predict", "--model", checkpoint, "--input", input, "--backend", "cpu").AssertFailed(ExitCodes.BadInput);
        Assert.Contains($"data file '{input}', line 2: the line is blank", line);
    }

    [Fact]
    public void PredictGivesOneResultPerInputLine()
    {
        var checkpoint = Checkpoint("seq2seq", "dates.tsv");
        var count = _rng.Next(2, 6);
        var inputs = string.Concat(Enumerable.Range(0, count).Select(i => $"{i + 1} march 20{_rng.Next(10, 30)}\n"));
        var result = Gpurnn.RunWithInput(inputs, "predict", "--model", checkpoint, "--backend", "cpu");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(count, result.Out.Split('\n').Length - 1);
    }
}
