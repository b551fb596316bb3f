namespace GpuRnn.Tasks;

/// <summary>
/// <c>copy</c>: the copy-memory task, recall symbols after a delay, generated
/// (<see cref="CopyProblem"/>) or read from symbol lines; judged by the symbols recalled against
/// the memoryless baseline.
/// </summary>
public sealed class CopyTask() : SequenceTask("copy", TaskKind.Copy, CopyProblem.Name, TaskModelFamily.Tagger)
{
    /// <inheritdoc/>
    public override TaskOptions Options => TaskOptions.Length | TaskOptions.CopyCount;

    /// <inheritdoc/>
    public override long DefaultSteps => 1500;

    /// <inheritdoc/>
    public override int DefaultLength => 10;

    /// <inheritdoc/>
    public override void Validate(TaskSettings settings)
    {
        if (settings.Length < 1) throw new ArgumentException($"the copy delay must be at least 1, got {settings.Length}");
        if (settings.CopyCount < 1) throw new ArgumentException($"the copy task needs at least 1 symbol to copy, got {settings.CopyCount}");
    }

    /// <inheritdoc/>
    public override string DescribeOutputs(TaskSpec spec) => $", copy {spec.CopyCount} symbols after {spec.Length} steps";

    /// <inheritdoc/>
    public override (TaskSpec Spec, TaskData Data) Build(TaskSpec spec, TaskSettings? settings, string? path, ulong seed, int window)
    {
        var name = path ?? BuiltInName;
        if (settings is not null)
            spec = (spec with
            {
                InputVocabulary = CopyProblem.Vocabulary, OutputVocabulary = CopyProblem.Vocabulary,
                InputTokenization = Tokenization.Whitespace, Length = settings.Length, CopyCount = settings.CopyCount,
            }).Validate();
        if (path is not null)
        {
            var source = DataFile.Describe(path);
            var examples = TaskExamples.FromSymbolLines(DataFile.ReadLines(path), source, labelled: true);
            // The delay and count the file's first sequence shows (its recalled symbols are its non-blank
            // targets), so that the memoryless baseline printed is the file's.
            if (settings is not null)
            {
                var recalled = examples[0].Targets!.Count(t => t != 0);
                if (recalled > 0 && examples[0].Length > 2 * recalled)
                    spec = spec with { CopyCount = recalled, Length = examples[0].Length - 2 * recalled };
            }
            return (spec, Fixed(name, examples, source, seed));
        }
        int delay = spec.Length, count = spec.CopyCount;
        return (spec, new GeneratedTaskData(name, n => CopyProblem.Example(TrainStream, n, delay, count),
            Enumerable.Range(0, 500).Select(i => CopyProblem.Example(ValidationStream, i, delay, count)).ToList()));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window) =>
        TaskExamples.FromSymbolLines(DataFile.ReadLines(path), DataFile.Describe(path), labelled: true);

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window) =>
        Enumerable.Range(0, 500).Select(i => CopyProblem.Example(TestStream, i, spec.Length, spec.CopyCount)).ToList();

    /// <summary>The predicted symbol of every step of each example.</summary>
    public override int[][] EvaluationOutputs(TaskModel model, IReadOnlyList<SequenceExample> examples, int beam) => ((SequenceTagger)model).Predict(examples);

    /// <inheritdoc/>
    public override TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int[][] outputs, int beam)
    {
        long right = 0, total = 0;
        for (var i = 0; i < examples.Count; i++)
        {
            var truth = examples[i].Targets!;
            // The steps that recall a symbol (1..8); blanks are easy and would hide forgetting.
            for (var t = 0; t < truth.Length; t++)
            {
                if (truth[t] is <= 0 or >= CopyProblem.Delimiter) continue;
                total++;
                if (outputs[i][t] == truth[t]) right++;
            }
        }
        var recalled = total == 0 ? double.NaN : (double)right / total;
        var summary = I($"symbols recalled {100 * recalled:F1}% ({right} of {total}; chance 12.5%), ") + Describe(model.Spec, loss);
        return new TaskReport(loss, summary, [], recalled);
    }

    /// <inheritdoc/>
    public override string Describe(TaskSpec spec, LossStats loss) =>
        I($"loss {loss.Loss:F4} nats per step (memoryless {CopyProblem.BaselineLoss(spec.Length, spec.CopyCount):F4}), accuracy {100 * loss.Accuracy:F1}% of steps");

    /// <inheritdoc/>
    public override PredictionInput ReadInput(TaskSpec spec, IReadOnlyList<DataLine> lines, string source, char separator) =>
        Input(spec, TaskExamples.FromSymbolLines(lines, source, labelled: false));

    /// <inheritdoc/>
    public override IReadOnlyList<string> Predict(TaskModel model, PredictionInput input, int beam, int top)
    {
        var spec = model.Spec;
        return ((SequenceTagger)model).Predict(input.Examples).Select(p => string.Join(' ', p.Select(id => spec.OutputVocabulary![id]))).ToList();
    }
}
