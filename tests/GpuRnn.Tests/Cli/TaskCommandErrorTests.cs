using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// Bad input to the task commands: malformed data lines (named by file and line), unknown tasks,
/// checkpoints of another task, options of another task. One line on stderr, the right exit code,
/// no checkpoint written.
/// </summary>
public sealed class TaskCommandErrorTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Out => _folder.File("out/model.safetensors");

    private string Write(string name, string text)
    {
        var path = _folder.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Train(int exitCode, params string[] args)
    {
        var line = Gpurnn.Run(["train", "--out", Out, .. TaskCommandTests.Tiny, .. args]).AssertFailed(exitCode);
        Assert.False(File.Exists(Out), "a refused run must not write a checkpoint");
        return line;
    }

    private string Checkpoint(string task, string file)
    {
        var path = _folder.File($"{task}.safetensors");
        Gpurnn.Run(["train", "--task", task, "--data", TaskCommandTests.Sample(file), "--steps", "1", "--out", path, .. TaskCommandTests.Tiny]).AssertSucceeded();
        return path;
    }

    /// <summary>A malformed line of each format, with the line it is on and words the error must contain.</summary>
    public static TheoryData<string, string, string, int, string> MalformedLines => new()
    {
        { "classify", "reviews.tsv", "positive\tgood film\nnegative\tawful plot\njust some text with no label\npositive\tlovely\n", 3, "label" },
        { "classify", "series.tsv", "s1\tup\t1\t2\ns1\tup\t2\t3\ns2\tdown\t3\tlots\n", 3, "lots" },
        { "tag", "sentences.conll", "EU B-ORG\nrejects O\n\nGerman\nB-MISC\n", 4, "tag" },
        { "seq2seq", "pairs.tsv", "one\t1\ntwo\t2\nthree 3\n", 3, "tab" },
        { "adding", "adding.tsv", "0.5\t0.1,1 0.4,1\n0.7\t0.3,1 0.2;1 0.4,0\n", 2, "step 2" },
        { "copy", "copy.tsv", "1 2 0 9 0 0\t0 0 0 0 1 2\n3 4 0 9 0 0\t0 0 0 0 3\n", 2, "targets" },
        { "caption", "scenes.tsv", "1,0,0.5\ta red circle\n0,1,0.5\ta blue square\n1,0\ta red square\n", 3, "expected 3 features but found 2" },
        { "caption", "nan.tsv", "1,0,0.5\ta red circle\n0,nan,0.5\ta blue square\n", 2, "feature 2 is 'nan', not a finite number" },
        { "caption", "empty.tsv", "1,0,0.5\ta red circle\n0,1,0.5\t  \n", 2, "the caption is empty" },
        { "caption", "notab.tsv", "1,0,0.5 a red circle\n", 1, "expected f1,f2,...,fF<TAB>caption but the line has no tab" },
        { "copy", "symbols.tsv", "1 2 0 9 0 0\t0 0 0 0 1 2\n3 x 0 9 0 0\t0 0 0 0 3 4\n", 2, "'x'" },
    };

    [Theory]
    [MemberData(nameof(MalformedLines))]
    public void AMalformedDataLineIsNamedByFileAndLine(string task, string name, string text, int line, string words)
    {
        var path = Write(name, text);
        var error = Train(ExitCodes.BadInput, "--task", task, "--data", path);
        Assert.Contains($"data file '{path}', line {line}: ", error);
        Assert.Contains(words, error);
    }

    [Fact]
    public void AnUnknownTaskIsAUsageErrorListingTheTasks()
    {
        var error = Train(ExitCodes.Usage, "--task", "translate");
        Assert.Contains("unknown task 'translate'", error);
        Assert.Contains("classify, tag, seq2seq, adding, copy, wordlm or caption", error);
    }

    [Fact]
    public void AnOptionOfAnotherTaskIsRefused()
    {
        var error = Train(ExitCodes.Usage, "--task", "tag", "--copy-count", "3");
        Assert.Contains("--copy-count applies to --task copy, not to --task tag", error);
    }

    [Fact]
    public void ResumingACheckpointAsAnotherTaskIsRefused()
    {
        var checkpoint = Checkpoint("classify", "intents.tsv");
        var error = Gpurnn.Run(["train", "--resume", checkpoint, "--task", "tag", "--steps", "3", "--backend", "cpu"]).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("--task tag does not match the checkpoint being resumed (task classify)", error);
        error = Gpurnn.Run(["train", "--resume", checkpoint, "--task", "charlm", "--steps", "3", "--backend", "cpu"]).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("is a checkpoint of --task classify, not of the character model", error);
        Assert.Equal(1, GpuRnn.IO.Checkpoint.Load(checkpoint).Step);
    }

    [Fact]
    public void EvaluatingATaskModelOnAnotherTasksFileNamesTheLine()
    {
        var checkpoint = Checkpoint("seq2seq", "dates.tsv");
        var error = Gpurnn.Run(["eval", "--model", checkpoint, "--data", TaskCommandTests.Sample("entities.conll"), "--backend", "cpu"]).AssertFailed(ExitCodes.BadInput);
        Assert.Contains($"data file '{TaskCommandTests.Sample("entities.conll")}', line 1: ", error);
    }

    [Fact]
    public void AModelTrainedOnAFileNeedsDataToBeEvaluated()
    {
        var checkpoint = Checkpoint("copy", "copy.tsv");
        var error = Gpurnn.Run(["eval", "--model", checkpoint, "--backend", "cpu"]).AssertFailed(ExitCodes.Usage);
        Assert.Contains("give --data", error);
    }

    [Fact]
    public void PredictNamesTheMalformedLineOfStandardInput()
    {
        var checkpoint = Checkpoint("adding", "adding.tsv");
        var error = Gpurnn.RunWithInput("0.5,1 0.2,0 0.3,1\n0.5,1 abc 0.3,1\n", ["predict", "--model", checkpoint, "--backend", "cpu"]).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("standard input, line 2: step 2 is 'abc'", error);
    }

    [Fact]
    public void PredictRefusesEmptyInputAndACharacterModel()
    {
        var checkpoint = Checkpoint("copy", "copy.tsv");
        var error = Gpurnn.RunWithInput("\n", ["predict", "--model", checkpoint, "--backend", "cpu"]).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("standard input has no input lines", error);

        var text = Write("text.txt", ArithmeticCorpus.Generate(3, 200));
        var charModel = _folder.File("char.safetensors");
        Gpurnn.Run(["train", "--data", text, "--steps", "1", "--out", charModel, .. TrainCommandTests.Tiny]).AssertSucceeded();
        error = Gpurnn.RunWithInput("1+1=", ["predict", "--model", charModel, "--backend", "cpu"]).AssertFailed(ExitCodes.Usage);
        Assert.Contains("is a character model", error);
    }

    [Fact]
    public void SampleRefusesATaskModel()
    {
        var checkpoint = Checkpoint("copy", "copy.tsv");
        var error = Gpurnn.Run(["sample", "--model", checkpoint, "--length", "5", "--backend", "cpu"]).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("is a checkpoint of --task copy; 'gpurnn sample' continues a text with a character model", error);
    }

    [Fact]
    public void AMissingDataFileIsNamed()
    {
        var missing = _folder.File("nope.tsv");
        var error = Train(ExitCodes.BadInput, "--task", "classify", "--data", missing);
        Assert.Contains("nope.tsv", error);
    }
}
