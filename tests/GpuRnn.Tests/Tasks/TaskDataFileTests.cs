using System.Text;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Tasks;

/// <summary>Reading the tasks' file formats, and the errors that name the file and the line.</summary>
public sealed class TaskDataFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Write(string name, string text)
    {
        var path = _folder.File(name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    private static string Error(Action read) => Assert.Throws<InvalidDataException>(read).Message;

    [Fact]
    public void LabelledTextsAreReadFromTabAndCommaSeparatedFiles()
    {
        var tsv = ClassificationFile.Read(Write("a.tsv", "# reviews\npos\tA fine, warm film.\n\nneg\tdull\r\n"));
        Assert.False(tsv.IsNumeric);
        Assert.Equal([("pos", "A fine, warm film.", 2), ("neg", "dull", 4)], tsv.Texts.Select(t => (t.Label!, t.Text, t.Line)));
        var csv = ClassificationFile.Read(Write("b.csv", "pos,so good, really\nneg,bad\n"));
        Assert.Equal(["so good, really", "bad"], csv.Texts.Select(t => t.Text));
    }

    [Fact]
    public void NumericRowsWithASequenceIdFormOneSequencePerId()
    {
        var file = ClassificationFile.Read(Write("s.csv", "sequence_id,label,x1,x2\na,up,0.5,1\na,up,1.5,2\nb,down,-1,3e-1\n"));
        Assert.True(file.IsNumeric);
        Assert.Equal(2, file.FeatureSize);
        Assert.Equal(["a", "b"], file.Series.Select(s => s.Id));
        Assert.Equal([0.5, 1, 1.5, 2], file.Series[0].Features);
        Assert.Equal(2, file.Series[0].Length);
        Assert.Equal("down", file.Series[1].Label);
        // Without a header, rows whose third and later fields are numbers are numeric too.
        Assert.True(ClassificationFile.Read(Write("t.tsv", "s1\tyes\t1\t2\t3\n")).IsNumeric);
    }

    [Theory]
    [InlineData("c.tsv", "pos\tgood\nno tab here\n", "line 2: expected label<TAB>text but the line has no tab")]
    [InlineData("c.tsv", "pos\tgood\n\t text without label\n", "line 2: the label is empty")]
    [InlineData("c.tsv", "pos\tgood\nneg\t  \n", "line 2: the text of label 'neg' is empty")]
    [InlineData("c.csv", "id,label,x\na,1,0.5\na,1,0.5,7\n", "line 3: expected 3 fields")]
    [InlineData("c.csv", "a,1,0.5\na,1,zero\n", "line 2: feature 1 is 'zero', not a finite number")]
    [InlineData("c.csv", "a,1,0.5\na,1,NaN\n", "line 2: feature 1 is 'NaN', not a finite number")]
    [InlineData("c.csv", "a,1,0.5\na,1,-4e38\n", "line 2: feature 1 is '-4e38', beyond float32's range (at most 3.4028235E+38 in magnitude)")]
    [InlineData("c.csv", "a,1,1e39\na,1,0.5\n", "line 1: feature 1 is '1e39', beyond float32's range")]
    [InlineData("c.csv", "a,1,NaN\na,1,0.5\n", "line 1: feature 1 is 'NaN', not a finite number")]
    [InlineData("c.csv", "a,1,0.5\nb,1,0.5\na,1,0.5\n", "line 3: sequence 'a' continues after rows of other sequences")]
    [InlineData("c.csv", "a,1,0.5\na,2,0.5\n", "line 2: sequence 'a' has label '2' here but '1' on line 1")]
    [InlineData("c.tsv", "# only a comment\n\n", "has no examples")]
    public void AMalformedClassificationLineIsNamedWithItsFileAndLine(string name, string text, string message)
    {
        var path = Write(name, text);
        var error = Error(() => ClassificationFile.Read(path));
        Assert.Contains($"data file '{path}'", error);
        Assert.Contains(message, error);
    }

    [Fact]
    public void ConllSentencesAreSplitAtBlankLinesWithTheTagInTheLastColumn()
    {
        var text = "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n\nPeter NNP B-NP B-PER\n";
        var sentences = ConllFile.Read(Write("a.conll", text));
        Assert.Equal(2, sentences.Count);
        Assert.Equal(["EU", "rejects"], sentences[0].Tokens);
        Assert.Equal(["B-ORG", "O"], sentences[0].Tags!);
        Assert.Equal(3, sentences[0].Line);
        Assert.Equal(7, sentences[1].Line);
        var path = Write("b.conll", "EU B-ORG\nrejects\n");
        Assert.Contains($"data file '{path}', line 2: expected a token and its tag", Error(() => ConllFile.Read(path)));
        Assert.Contains("has no sentences", Error(() => ConllFile.Read(Write("c.conll", "\n\n"))));
    }

    [Fact]
    public void AnUnknownTagIsNamedWithTheLineOfItsToken()
    {
        var spec = TaskFixtures.Spec(TaskKind.Tag) with { OutputVocabulary = new Vocabulary(["B-PER", "O"]), InputVocabulary = TaskFixtures.Tokens(3, Vocabulary.Unknown) };
        var path = Write("d.conll", "a O\n\nb O\nc B-PER\nd B-LOC\n");
        var error = Error(() => TaskSetup.ReadFile(spec, path));
        Assert.Contains($"data file '{path}', line 5: the tag: 'B-LOC' is not one of the model's 2 (B-PER, O)", error);
    }

    [Fact]
    public void PairsAreSourceTabTarget()
    {
        var pairs = ParallelTextFile.Read(Write("p.tsv", "one\t1\n# comment\ntwenty two\t22\n"));
        Assert.Equal([("one", "1", 1), ("twenty two", "22", 3)], pairs.Select(p => (p.Source, p.Target!, p.Line)));
        var path = Write("q.tsv", "one\t1\ntwo 2\n");
        Assert.Contains($"data file '{path}', line 2: expected source<TAB>target but the line has no tab", Error(() => ParallelTextFile.Read(path)));
        Assert.Contains("line 1: the target text is empty", Error(() => ParallelTextFile.Read(Write("r.tsv", "one\t \n"))));
    }

    [Fact]
    public void AddingAndCopyLinesAreReadWithTheirErrorsNamed()
    {
        var adding = TaskExamples.FromAddingLines(DataFile.Lines("0.75\t0.5,1 0.1,0 0.25,1\n"), "x", labelled: true);
        Assert.Equal(0.75, adding[0].Value);
        Assert.Equal([0.5, 1, 0.1, 0, 0.25, 1], adding[0].Features!);
        Assert.Contains("x, line 1: step 2 is '0.1;0', not value,marker", Error(() => TaskExamples.FromAddingLines(DataFile.Lines("0.5,1 0.1;0"), "x", labelled: false)));
        Assert.Contains("x, line 1: step 1 is '1e39,1', whose value '1e39' is beyond float32's range", Error(() => TaskExamples.FromAddingLines(DataFile.Lines("1e39,1 0.1,0"), "x", labelled: false)));
        Assert.Contains("x, line 1: the target '-1e300' is beyond float32's range", Error(() => TaskExamples.FromAddingLines(DataFile.Lines("-1e300\t0.5,1 0.1,0"), "x", labelled: true)));
        Assert.Contains("x, line 2: expected target<TAB>", Error(() => TaskExamples.FromAddingLines(DataFile.Lines("1\t0,1 1,1\n0,1 1,1"), "x", labelled: true)));

        var copy = TaskExamples.FromSymbolLines(DataFile.Lines("3 1 9 0\t0 0 3 1\n"), "y", labelled: true);
        Assert.Equal([3, 1, 9, 0], copy[0].Tokens!);
        Assert.Equal([0, 0, 3, 1], copy[0].Targets!);
        Assert.Contains("y, line 1: an input symbol: '12' is not one of the model's 10", Error(() => TaskExamples.FromSymbolLines(DataFile.Lines("3 12"), "y", labelled: false)));
        Assert.Contains("y, line 1: 2 input symbols but 3 targets", Error(() => TaskExamples.FromSymbolLines(DataFile.Lines("3 1\t0 0 3"), "y", labelled: true)));
    }

    [Fact]
    public void ANonUtf8OrEmptyFileIsRefusedAsForTheCharacterModel()
    {
        var latin = _folder.File("latin.tsv");
        File.WriteAllBytes(latin, Encoding.Latin1.GetBytes("pos\tdéjà vu\n"));
        Assert.Contains("is not UTF-8 text", Error(() => ClassificationFile.Read(latin)));
        var empty = Write("empty.conll", "");
        Assert.Contains("is empty", Error(() => ConllFile.Read(empty)));
    }
}
