using System.Text.RegularExpressions;
using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// <c>gpurnn train --task NAME</c>, <c>eval</c> and <c>predict</c> for every task, on its built-in
/// data and on the small real-format file of samples/data, with tiny models for a few steps.
/// </summary>
public sealed class TaskCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A tiny task model trained for a few steps: about a second on the CPU backend.</summary>
    public static readonly string[] Tiny = ["--backend", "cpu", "--hidden", "6", "--embedding", "4", "--batch", "8", "--eval-every", "0"];

    /// <summary>A file of samples/data, copied beside the tests.</summary>
    public static string Sample(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);

    /// <summary>Options that keep each task's built-in run small.</summary>
    private static string[] Small(string task) => task switch
    {
        "adding" => ["--length", "8"],
        "copy" => ["--length", "3", "--copy-count", "2"],
        "wordlm" => ["--seq", "6"],
        _ => [],
    };

    /// <summary>What the final validation line says for each task.</summary>
    private static readonly Dictionary<string, Regex> Validation = new()
    {
        ["classify"] = new(@"validation: accuracy \d+\.\d% \(\d+ of \d+\), loss \d+\.\d{4} nats"),
        ["tag"] = new(@"validation: token accuracy \d+\.\d% \(\d+ of \d+\), entity F1 \d+\.\d% \(precision"),
        ["seq2seq"] = new(@"validation: exact match \d+\.\d% \(\d+ of \d+, greedy\), loss \d+\.\d{4} nats per token"),
        ["adding"] = new(@"validation: mean squared error \d+\.\d{4} \(always 1 scores 0\.1667\)"),
        ["copy"] = new(@"validation: symbols recalled \d+\.\d% \(\d+ of \d+; chance 12\.5%\)"),
        ["wordlm"] = new(@"validation: loss \d+\.\d{4} nats per word, perplexity \d+\.\d\d"),
        ["caption"] = new(@"validation: exact match \d+\.\d% \(\d+ of \d+, greedy\), BLEU-4 \d+\.\d, loss \d+\.\d{4} nats per token"),
    };

    public static TheoryData<string> Tasks => new(["classify", "tag", "seq2seq", "adding", "copy", "wordlm", "caption"]);

    [Theory]
    [MemberData(nameof(Tasks))]
    public void EachTaskTrainsOnItsBuiltInDataAndEvaluatesOnFreshExamples(string task)
    {
        var checkpoint = _folder.File("run/model.safetensors");
        var result = Gpurnn.Run(["train", "--task", task, "--steps", "3", "--out", checkpoint, .. Tiny, .. Small(task)]);
        result.AssertSucceeded();
        Assert.Contains("data: built-in ", result.Out);
        Assert.Contains($"model: {task}: ", result.Out);
        Assert.Contains("step 3/3", result.Out);
        // The adding problem's plateau is left sooner with a larger step and a tighter clip (bench/RESULTS.md).
        if (task == "adding") Assert.Contains("lr 0.01, clip 1", result.Out);
        Assert.Matches(Validation[task], result.Out);
        Assert.True(File.Exists(_folder.File("run/metrics.csv")));
        Assert.True(File.Exists(_folder.File("run/loss.png")));
        var snapshot = Checkpoint.Load(checkpoint);
        Assert.Equal(task, snapshot.Spec.Task.ToName());
        Assert.Equal(3, snapshot.Step);
        Assert.Equal(TaskSetup.BuiltInName(snapshot.Spec.Task), snapshot.DataName);

        var eval = Gpurnn.Run(["eval", "--model", checkpoint, "--backend", "cpu"]);
        eval.AssertSucceeded();
        Assert.Matches(new Regex(@"\nevaluated [\d,]+ (examples|windows) of fresh examples of the built-in "), eval.Out);
    }

    /// <summary>Every task's sample file, and unlabelled inputs for predict in that task's format.</summary>
    public static TheoryData<string, string, string[], string> Files => new()
    {
        { "classify", "intents.tsv", ["--tokenize", "word"], "what is the weather in oslo\nplay some jazz\n" },
        { "classify", "sensors.csv", ["--pool", "mean"], "a,20.1,0.5\na,21.0,0.1\na,22.2,0.9\nb,20,0.3\nb,19.1,0.2\n" },
        { "tag", "entities.conll", [], "anna visited paris last week\njohn smith works for acme in oslo\n" },
        { "seq2seq", "dates.tsv", ["--tokenize", "word,char"], "3 march 2021\n17 july 1999\n" },
        { "adding", "adding.tsv", [], "0.5,1 0.2,0 0.3,1 0.9,0\n0.1,0 0.4,1 0.7,0 0.6,1 0.2,0\n" },
        { "copy", "copy.tsv", [], "5 8 8 0 0 0 9 0 0 0\n1 2 3 0 0 0 9 0 0 0\n" },
        { "wordlm", "words.txt", ["--seq", "8"], "the old dog sees the\nthe farmer\n" },
        { "caption", "scenes.tsv", [], string.Concat(Scenes.Generate(99, 2).Select(s => Scenes.Line(s).Split('\t')[0] + "\n")) },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void EachTaskTrainsOnARealFormatFileEvaluatesItAndPredictsFromAFileAndFromStandardInput(string task, string file, string[] options, string inputs)
    {
        var data = Sample(file);
        var checkpoint = _folder.File("model.safetensors");
        var result = Gpurnn.Run(["train", "--task", task, "--data", data, "--steps", "4", "--out", checkpoint, .. Tiny, .. options]);
        result.AssertSucceeded();
        Assert.Contains($"data: {data}: training examples ", result.Out);
        Assert.Matches(Validation[task], result.Out);
        Assert.Equal(data, Checkpoint.Load(checkpoint).DataName);
        // The file's own sequence length (and copy count) describe the model, not the built-in defaults.
        if (task == "adding") Assert.Contains(", T = 10", result.Out);
        if (task == "copy") Assert.Contains("copy 3 symbols after 4 steps", result.Out);
        if (task == "copy") Assert.Contains($"(memoryless {CopyProblem.BaselineLoss(4, 3).ToString("F4", System.Globalization.CultureInfo.InvariantCulture)})", result.Out);

        var eval = Gpurnn.Run(["eval", "--model", checkpoint, "--data", data, "--backend", "cpu"]);
        eval.AssertSucceeded();
        Assert.Matches(new Regex($@"\nevaluated [\d,]+ (examples|windows) of {Regex.Escape(data)}: "), eval.Out);

        var inputPath = _folder.File("inputs" + Path.GetExtension(file));
        File.WriteAllText(inputPath, inputs);
        var fromFile = Predict(null, "--model", checkpoint, "--input", inputPath);
        var fromStdin = Predict(inputs, "--model", checkpoint);
        Assert.Equal(fromFile.Out, fromStdin.Out);

        var lines = fromFile.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var inputLines = inputs.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        switch (task)
        {
            case "tag":
                // CoNLL: one token<TAB>tag line per input token.
                Assert.Equal(inputLines.Sum(l => l.Split(' ').Length), lines.Length);
                Assert.All(lines, l => Assert.Matches(new Regex(@"^\S+\t(O|[BI]-(PER|LOC|ORG))$"), l));
                break;
            case "classify" when file.EndsWith(".csv", StringComparison.Ordinal):
                Assert.Equal(2, lines.Length);
                Assert.Matches(new Regex(@"^a\t(rising|falling)\t[01]\.\d+$"), lines[0]);
                Assert.Matches(new Regex(@"^b\t(rising|falling)\t[01]\.\d+$"), lines[1]);
                break;
            case "classify":
                Assert.Equal(inputLines.Length, lines.Length);
                Assert.All(lines, l => Assert.Matches(new Regex(@"^(weather|music|alarm)\t[01]\.\d+$"), l));
                break;
            case "adding":
                Assert.Equal(inputLines.Length, lines.Length);
                Assert.All(lines, l => Assert.True(double.TryParse(l, System.Globalization.CultureInfo.InvariantCulture, out _), l));
                break;
            case "caption":
                // A barely trained model may write an empty caption, which is an empty line.
                var captions = fromFile.Out.TrimEnd('\n').Split('\n');
                Assert.Equal(inputLines.Length, captions.Length);
                Assert.All(captions, c => Assert.All(c.Split(' ', StringSplitOptions.RemoveEmptyEntries), w => Assert.Contains(w, Scenes.Words.Append(Vocabulary.Unknown))));
                break;
            case "copy":
                Assert.Equal(inputLines.Length, lines.Length);
                for (var i = 0; i < lines.Length; i++)
                    Assert.Equal(inputLines[i].Split(' ').Length, lines[i].Split(' ').Length);
                break;
            default:
                Assert.Equal(inputLines.Length, lines.Length);
                break;
        }
    }

    /// <summary>Runs predict on the CPU backend: results on stdout, only the backend's line on stderr.</summary>
    private static Gpurnn.Result Predict(string? stdin, params string[] args)
    {
        var result = Gpurnn.RunWithInput(stdin, ["predict", .. args, "--backend", "cpu"]);
        Assert.True(result.ExitCode == ExitCodes.Ok, $"exit code {result.ExitCode}; stderr: {result.Error}");
        Assert.StartsWith("backend: cpu", result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        return result;
    }

    [Fact]
    public void ResumingATaskCheckpointContinuesItsStepsOnTheSameFile()
    {
        var data = Sample("intents.tsv");
        var checkpoint = _folder.File("model.safetensors");
        Gpurnn.Run(["train", "--task", "classify", "--data", data, "--steps", "2", "--out", checkpoint, .. Tiny]).AssertSucceeded();
        var resumed = Gpurnn.Run(["train", "--resume", checkpoint, "--data", data, "--steps", "4", "--backend", "cpu"]);
        resumed.AssertSucceeded();
        Assert.Contains("resuming from", resumed.Out);
        Assert.Equal(4, Checkpoint.Load(checkpoint).Step);
    }

    [Fact]
    public void Seq2SeqEvaluatesWithBeamSearch()
    {
        var checkpoint = _folder.File("model.safetensors");
        Gpurnn.Run(["train", "--task", "seq2seq", "--data", Sample("dates.tsv"), "--steps", "2", "--out", checkpoint, .. Tiny]).AssertSucceeded();
        var eval = Gpurnn.Run(["eval", "--model", checkpoint, "--data", Sample("dates.tsv"), "--beam", "3", "--backend", "cpu"]);
        eval.AssertSucceeded();
        Assert.Contains(", beam 3), loss ", eval.Out);
        var predict = Predict("3 march 2021\n", "--model", checkpoint, "--beam", "3");
        Assert.Single(predict.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void CaptionEvaluatesWithBeamSearchAndPredictsFromFeatureVectors()
    {
        var checkpoint = _folder.File("model.safetensors");
        Gpurnn.Run(["train", "--task", "caption", "--data", Sample("scenes.tsv"), "--steps", "2", "--out", checkpoint, .. Tiny]).AssertSucceeded();
        var eval = Gpurnn.Run(["eval", "--model", checkpoint, "--data", Sample("scenes.tsv"), "--beam", "3", "--backend", "cpu"]);
        eval.AssertSucceeded();
        Assert.Contains(", beam 3), BLEU-4 ", eval.Out);
        var vector = Scenes.Line(Scenes.Scene(5, 0)).Split('\t')[0];
        var predict = Predict(vector + "\n", "--model", checkpoint, "--beam", "3");
        Assert.Single(predict.Out.TrimEnd('\n').Split('\n'));
        // A vector of the wrong width is a data error naming the line and the width the model reads.
        var wrong = Gpurnn.RunWithInput(vector + "\n1,2,3\n", ["predict", "--model", checkpoint, "--backend", "cpu"]);
        Assert.Equal(ExitCodes.BadInput, wrong.ExitCode);
        Assert.Contains($"line 2: expected {Scenes.FeatureSize} features but found 3", wrong.Error);
    }

    [Fact]
    public void TheHelpOfTrainListsTheTasksAndTheOptionsOfTheAddingComparison()
    {
        var help = Gpurnn.Run(["train", "--help"]);
        Assert.Equal(ExitCodes.Ok, help.ExitCode);
        foreach (var text in new[] { "--task", "classify, tag, seq2seq, adding, copy, wordlm or caption", "--cell", "rnn_relu", "--init", "identity", "--length", "--clip" })
            Assert.Contains(text, help.Out);
    }
}
