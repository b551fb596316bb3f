namespace GpuRnn.Tests.Tasks;

/// <summary>
/// A task defined outside Rnn.Core, to show what adding one costs (this file and one
/// <see cref="TaskRegistry.Register"/> line): is the number of 1s in a string of bits even or odd?
/// Generated data; a file or an input is lines of bits such as <c>0 1 1 0</c>, labelled by their parity.
/// </summary>
public sealed class ParityTask() : SequenceTask("parity", ParityKind, "built-in parity bits", TaskModelFamily.Classifier)
{
    /// <summary>A kind beyond the built-in ones (checkpoints store the name, <c>parity</c>).</summary>
    public const TaskKind ParityKind = (TaskKind)100;

    /// <summary>Bits per generated example.</summary>
    public const int Bits = 6;

    public override long DefaultSteps => 100;
    public override string DescribeOutputs(TaskSpec spec) => $", parity of {Bits} bits";

    public override (TaskSpec Spec, TaskData Data) Build(TaskSpec spec, TaskSettings? settings, string? path, ulong seed, int window)
    {
        if (settings is not null)
            spec = (spec with { InputVocabulary = new Vocabulary(["0", "1"]), OutputVocabulary = new Vocabulary(["even", "odd"]) }).Validate();
        if (path is not null) return (spec, Fixed(path, ReadFile(spec, path, window), DataFile.Describe(path), seed));
        return (spec, new GeneratedTaskData(BuiltInName, n => Example(TrainStream, n), Generate(ValidationStream, 200)));
    }

    public override IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window) =>
        ReadInput(spec, DataFile.ReadLines(path), DataFile.Describe(path), '\t').Examples;

    public override IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window) => Generate(TestStream, 200);

    public override TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int beam) =>
        new(loss, Describe(model.Spec, loss), [], loss.Accuracy);

    public override string Describe(TaskSpec spec, LossStats loss) => I($"loss {loss.Loss:F4} nats, accuracy {100 * loss.Accuracy:F1}%");

    public override PredictionInput ReadInput(TaskSpec spec, IReadOnlyList<DataLine> lines, string source, char separator) =>
        Input(spec, lines.Where(l => !DataFile.IsBlankOrComment(l.Text)).Select(l => Labelled(l.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(b => b is "0" or "1" ? b[0] - '0' : throw DataFile.Error(source, l.Number, $"'{b}' is not a bit (expected 0 or 1)")).ToArray(), l.Number)).ToList());

    public override IReadOnlyList<string> Predict(TaskModel model, PredictionInput input, int beam, int top) =>
        ((SequenceClassifier)model).Predict(input.Examples).Select(p => model.Spec.OutputVocabulary![Array.IndexOf(p, p.Max())]).ToList();

    /// <summary>Example <paramref name="n"/> of a random stream: <see cref="Bits"/> bits from one hash.</summary>
    public static SequenceExample Example(ulong stream, long n)
    {
        var hash = CounterRng.Hash(stream, (ulong)n);
        return Labelled(Enumerable.Range(0, Bits).Select(i => (int)(hash >> (7 * i)) & 1).ToArray(), 0);
    }

    private static List<SequenceExample> Generate(ulong stream, int count) => Enumerable.Range(0, count).Select(i => Example(stream, i)).ToList();

    private static SequenceExample Labelled(int[] bits, int line) => new() { Length = bits.Length, Tokens = bits, Label = bits.Sum() % 2, Line = line };
}
