using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GpuRnn.Cpu;
using GpuRnn.Tests.Cli;
using GpuRnn.Tests.Compatibility;
using GpuRnn.Tests.Tasks;
using GpuRnn.Tests.Training;
using Xunit;

namespace GpuRnn.Tests.IO;

/// <summary>
/// Property tests of every reader (issue 14): a fixed-seed family of 1,000 random mutations of a
/// valid file (bytes flipped, header numbers and words changed, the header length moved,
/// truncations, bytes inserted and deleted, lines duplicated) each either loads or raises the
/// readers' documented file error, <see cref="InvalidDataException"/>; nothing else is thrown, and
/// no load allocates more than a small multiple of the file's size. Files are kept small so the
/// family runs in about a second per reader.
/// </summary>
public sealed partial class ReaderMutationTests : IDisposable
{
    private const int Mutations = 1000;

    private static readonly CpuBackend Cpu = new();
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    // What loading a file may allocate on this thread: the bytes read, the tensors, a model and its
    // gradients built from them, parsing (a few times the header); and a constant for the rest.
    private static long Bound(long fileBytes) => 24 * fileBytes + (2 << 20);

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    [GeneratedRegex(@"[A-Za-z_]{2,}")]
    private static partial Regex Words();

    private static readonly string[] Numbers =
        ["0", "1", "2", "3", "7", "65", "8000", "65535", "1000000000", "2147483647", "2147483648", "4294967297", "9223372036854775807", "99999999999999999999", "-1", "1e9", "0.5"];

    private static readonly string[] Replacements =
        ["F32", "F64", "I32", "I64", "F16", "BF16", "BOOL", "lstm", "gru", "rnn_tanh", "rnn_relu", "true", "false", "null", "classify", "tag", "seq2seq",
         "adding", "copy", "wordlm", "shape", "dtype", "data_offsets", "__metadata__", "model", "format", "hidden_size", "x"];

    /// <summary>One random mutation of <paramref name="valid"/>; <paramref name="header"/> is the safetensors header's end (0 for a text file).</summary>
    private static byte[] Mutate(Random rng, byte[] valid, int header)
    {
        var bytes = (byte[])valid.Clone();
        switch (rng.Next(header > 0 ? 8 : 6))
        {
            case 0: // flip bits in one to four bytes, mostly in the header when there is one
                for (var n = rng.Next(1, 5); n > 0; n--)
                {
                    var at = header > 0 && rng.Next(3) > 0 ? rng.Next(8, header) : rng.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << rng.Next(8));
                }
                return bytes;
            case 1: // truncate
                return bytes[..rng.Next(bytes.Length)];
            case 2: // insert bytes (text: separators and other awkward bytes)
            {
                var at = rng.Next(bytes.Length + 1);
                byte[] pick = [(byte)'\t', (byte)'\n', (byte)' ', (byte)',', (byte)'#', 0, 0xFF, 0xC3, (byte)'{', (byte)'"', (byte)'1'];
                var inserted = Enumerable.Range(0, rng.Next(1, 4)).Select(_ => pick[rng.Next(pick.Length)]).ToArray();
                return [.. bytes[..at], .. inserted, .. bytes[at..]];
            }
            case 3: // delete bytes
            {
                var at = rng.Next(bytes.Length);
                var n = Math.Min(rng.Next(1, 16), bytes.Length - at);
                return [.. bytes[..at], .. bytes[(at + n)..]];
            }
            case 4: // change a number (a shape, an offset, a size in the metadata, a value)
                return ReplaceToken(rng, bytes, header, Digits(), () => Numbers[rng.Next(Numbers.Length)]);
            case 5: // text: duplicate or drop a line; safetensors: change a word (a dtype, a key, a cell)
                if (header == 0)
                {
                    var lines = Encoding.UTF8.GetString(bytes).Split('\n').ToList();
                    var i = rng.Next(lines.Count);
                    if (rng.Next(2) == 0) lines.Insert(i, lines[i]);
                    else lines.RemoveAt(i);
                    return Encoding.UTF8.GetBytes(string.Join('\n', lines));
                }
                return ReplaceToken(rng, bytes, header, Words(), () => Replacements[rng.Next(Replacements.Length)]);
            case 6: // move the header length
            {
                var length = BitConverter.ToInt64(bytes, 0);
                var moved = rng.Next(3) switch { 0 => length + rng.Next(-16, 17), 1 => rng.NextInt64(), _ => length * 2 };
                BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), moved);
                return bytes;
            }
            default: // swap two 8-byte blocks of data
            {
                if (bytes.Length - header < 16) return bytes;
                int a = rng.Next(header, bytes.Length - 8), b = rng.Next(header, bytes.Length - 8);
                var block = bytes[a..(a + 8)];
                bytes.AsSpan(b, 8).CopyTo(bytes.AsSpan(a, 8));
                block.CopyTo(bytes, b);
                return bytes;
            }
        }
    }

    // Replaces one match of the pattern in the header text (or the whole text file), and re-frames
    // the header's length half the time, so both a well-framed and a mis-framed header are tried.
    private static byte[] ReplaceToken(Random rng, byte[] bytes, int header, Regex pattern, Func<string> replacement)
    {
        var start = header > 0 ? 8 : 0;
        var end = header > 0 ? header : bytes.Length;
        var text = Encoding.UTF8.GetString(bytes, start, end - start);
        var matches = pattern.Matches(text);
        if (matches.Count == 0) return bytes;
        var m = matches[rng.Next(matches.Count)];
        var changed = Encoding.UTF8.GetBytes(text[..m.Index] + replacement() + text[(m.Index + m.Length)..]);
        byte[] result = [.. bytes[..start], .. changed, .. bytes[end..]];
        if (header > 0 && rng.Next(2) == 0) BitConverter.TryWriteBytes(result.AsSpan(0, 8), (ulong)changed.Length);
        return result;
    }

    /// <summary>Loads the valid file, then every mutation: each loads or throws InvalidDataException, within the allocation bound.</summary>
    private void Check(string what, byte[] valid, bool safetensors, int seed, Action<string> load, string extension = ".safetensors")
    {
        var path = _folder.File("mutated" + extension);
        File.WriteAllBytes(path, valid);
        load(path);
        var header = safetensors ? 8 + (int)BitConverter.ToUInt64(valid, 0) : 0;
        var rng = new Random(seed);
        int loaded = 0, refused = 0;
        for (var i = 0; i < Mutations; i++)
        {
            var bytes = Mutate(rng, valid, header);
            File.WriteAllBytes(path, bytes);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                load(path);
                loaded++;
            }
            catch (InvalidDataException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{what}, mutation {i} (seed {seed}): {e.GetType().Name}: {e.Message}");
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated <= Bound(bytes.Length),
                $"{what}, mutation {i} (seed {seed}): loading a {bytes.Length}-byte file allocated {allocated:N0} bytes (bound {Bound(bytes.Length):N0})");
        }
        Assert.Equal(Mutations, loaded + refused);
        Assert.True(refused >= Mutations / 10, $"{what}: only {refused} of {Mutations} mutations were refused; the mutations are too gentle");
    }

    private byte[] Bytes(Action<string> write)
    {
        var path = _folder.File("valid");
        write(path);
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void SafeTensorsTensors()
    {
        var rng = new Random(1401);
        var tensors = new List<KeyValuePair<string, HostTensor>>
        {
            new("a", TestRandom.Tensor(rng, new Shape(3, 4), DType.Float32)),
            new("b", TestRandom.Tensor(rng, new Shape(5), DType.Float64)),
            new("lengths", HostTensor.FromArray(Enumerable.Range(0, 6).Select(_ => rng.Next(1, 9)).ToArray(), new Shape(2, 3))),
            new("scalar", TestRandom.Tensor(rng, new Shape(), DType.Float32)),
        };
        var valid = Bytes(p => SafeTensors.Write(p, tensors, new Dictionary<string, string> { ["note"] = "a valid file", ["size"] = "12" }));
        Check("safetensors tensors", valid, safetensors: true, seed: 1, p => SafeTensors.Read(p));
    }

    [Fact]
    public void ModelFiles()
    {
        var rng = new Random(1402);
        var valid = new List<byte[]>();
        foreach (var cell in new[] { RnnCellKind.Lstm, RnnCellKind.Gru })
        {
            using var stack = new RnnStack(Cpu, new RnnSpec(cell, 3, 4, 2, Bidirectional: cell == RnnCellKind.Gru, ProjSize: cell == RnnCellKind.Lstm ? 2 : 0), seed: (ulong)rng.Next());
            valid.Add(Bytes(p => RnnModelFile.Save(p, stack)));
        }
        for (var i = 0; i < valid.Count; i++)
            Check($"model file {i}", valid[i], safetensors: true, seed: 2 + i, p => { using var s = RnnModelFile.Load(p, Cpu); });
    }

    [Fact]
    public void CharacterModelCheckpoints()
    {
        var rng = new Random(1403);
        var corpus = TrainingFixtures.SmallCorpus(3, 20);
        var spec = new CharModelSpec(RnnCellKind.Lstm, corpus.Vocabulary.Count, 3, 4, 2);
        using var model = new CharRnnModel(Cpu, spec, 5);
        var parameters = model.StateDict();
        var optimizer = parameters.SelectMany(p => new[] { "exp_avg", "exp_avg_sq" }.Select(b =>
            new KeyValuePair<string, HostTensor>($"{p.Key}.{b}", TestRandom.Tensor(rng, p.Value.Shape, DType.Float32)))).ToList();
        var state = new Shape(spec.NumLayers, 2, spec.HiddenSize);
        var snapshot = new LegacySnapshot(spec, corpus.Vocabulary, new OptimizerConfig(), new LearningRateSchedule(0.01), new TrainingOptions(2, 5, 10),
            3, 3, 7, 11, parameters, optimizer, TestRandom.Tensor(rng, state, DType.Float32), TestRandom.Tensor(rng, state, DType.Float32), "test data");
        var valid = Bytes(p => LegacyCheckpoint.Save(p, snapshot));
        Check("character checkpoint", valid, safetensors: true, seed: 4, p => { var (m, _) = Checkpoint.LoadModel(p, Cpu); m.Dispose(); });
    }

    [Fact]
    public void TaskCheckpoints()
    {
        var rng = new Random(1404);
        var specs = new[]
        {
            TaskFixtures.Spec(TaskKind.Classify, hidden: 4) with { Bidirectional = true },
            TaskFixtures.Spec(TaskKind.Adding, RnnCellKind.Gru, hidden: 3),
            TaskFixtures.Spec(TaskKind.Seq2Seq, hidden: 3),
            TaskFixtures.Spec(TaskKind.WordLm, RnnCellKind.RnnTanh, hidden: 3, outputs: 7) with { Softmax = SoftmaxKind.Class, WordClasses = [0, 0, 1, 1, 1, 2, 2] },
        };
        for (var i = 0; i < specs.Length; i++)
        {
            using var model = TaskModels.Create(Cpu, specs[i].Validate(), (ulong)rng.Next());
            var parameters = model.StateDict();
            var optimizer = parameters.Select(p => new KeyValuePair<string, HostTensor>($"{p.Key}.momentum_buffer", TestRandom.Tensor(rng, p.Value.Shape, DType.Float32))).ToList();
            var snapshot = new TaskSnapshot(specs[i], new OptimizerConfig(OptimizerKind.Sgd, Momentum: 0.9), new LearningRateSchedule(0.1), new TrainingOptions(4, 1, 10),
                2, 2, 9, 0, parameters, optimizer, "test data");
            var valid = Bytes(p => Checkpoint.Save(p, snapshot));
            Check($"task checkpoint ({specs[i].Task.ToName()})", valid, safetensors: true, seed: 10 + i, p => { var (m, _) = Checkpoint.LoadModel(p, Cpu); m.Dispose(); });
        }
    }

    public static TheoryData<string, string> DataFormats => new()
    {
        { "intents.tsv", "classify" },
        { "sensors.csv", "classify" },
        { "entities.conll", "tag" },
        { "dates.tsv", "seq2seq" },
        { "adding.tsv", "adding" },
        { "copy.tsv", "copy" },
        { "words.txt", "text" },
    };

    [Theory]
    [MemberData(nameof(DataFormats))]
    public void TaskDataFiles(string sample, string format)
    {
        var lines = File.ReadAllLines(TaskCommandTests.Sample(sample)).Take(sample == "sensors.csv" ? 40 : 12);
        var valid = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        Action<string> load = format switch
        {
            "classify" => p => ClassificationFile.Read(p),
            "tag" => p => ConllFile.Read(p),
            "seq2seq" => p => ParallelTextFile.Read(p),
            "adding" => p => TaskExamples.FromAddingLines(DataFile.ReadLines(p), DataFile.Describe(p), labelled: true),
            "copy" => p => TaskExamples.FromSymbolLines(DataFile.ReadLines(p), DataFile.Describe(p), labelled: true),
            _ => p => TextCorpus.Load(p),
        };
        // The file keeps the sample's extension, which picks the separator of a table.
        Check($"{format} data ({sample})", valid, safetensors: false, seed: 20 + sample.Length, load, Path.GetExtension(sample));
    }
}
