namespace GpuRnn.Tasks;

/// <summary>
/// <c>adding</c>: the adding problem (Hochreiter and Schmidhuber 1997), a many-to-one regression
/// over <c>value,marker</c> steps, generated (<see cref="AddingProblem"/>) or read from lines;
/// judged by the mean squared error against the always-1 baseline.
/// </summary>
public sealed class AddingTask() : SequenceTask("adding", TaskKind.Adding, AddingProblem.Name, TaskModelFamily.Classifier)
{
    /// <inheritdoc/>
    public override TaskOptions Options => TaskOptions.Bidirectional | TaskOptions.Pool | TaskOptions.Length;

    /// <inheritdoc/>
    public override bool IsRegression => true;

    /// <inheritdoc/>
    public override long DefaultSteps => 1500;

    /// <inheritdoc/>
    public override double DefaultLearningRate => 0.01;

    /// <summary>1: the adding problem's long plateau is left sooner with a larger step and a tighter clip.</summary>
    public override double? DefaultClip => 1;

    /// <inheritdoc/>
    public override string LossAxis => "mean squared error";

    /// <inheritdoc/>
    public override void Validate(TaskSettings settings)
    {
        if (settings.Length < 2) throw new ArgumentException($"the adding problem needs a length of at least 2, got {settings.Length}");
    }

    /// <inheritdoc/>
    public override string DescribeOutputs(TaskSpec spec) => $", T = {spec.Length}";

    /// <inheritdoc/>
    public override (TaskSpec Spec, TaskData Data) Build(TaskSpec spec, TaskSettings? settings, string? path, ulong seed, int window)
    {
        var name = path ?? BuiltInName;
        if (settings is not null) spec = (spec with { FeatureSize = AddingProblem.FeatureSize, Length = settings.Length, EmbeddingSize = 0 }).Validate();
        if (path is not null)
        {
            var source = DataFile.Describe(path);
            var examples = TaskExamples.FromAddingLines(DataFile.ReadLines(path), source, labelled: true);
            // A file's sequences have their own length, which the spec then describes (the longest).
            if (settings is not null) spec = spec with { Length = examples.Max(e => e.Length) };
            return (spec, Fixed(name, examples, source, seed));
        }
        var length = spec.Length;
        return (spec, new GeneratedTaskData(name, n => AddingProblem.Example(TrainStream, n, length),
            Enumerable.Range(0, 1000).Select(i => AddingProblem.Example(ValidationStream, i, length)).ToList()));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window) =>
        TaskExamples.FromAddingLines(DataFile.ReadLines(path), DataFile.Describe(path), labelled: true);

    /// <inheritdoc/>
    public override IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window) =>
        Enumerable.Range(0, 1000).Select(i => AddingProblem.Example(TestStream, i, spec.Length)).ToList();

    /// <inheritdoc/>
    public override TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int beam) =>
        new(loss, Describe(model.Spec, loss), [], loss.Loss);

    /// <inheritdoc/>
    public override string Describe(TaskSpec spec, LossStats loss) =>
        I($"mean squared error {loss.Loss:F4} (always 1 scores {AddingProblem.BaselineMse:F4}), {100 * loss.Accuracy:F1}% within {SequenceClassifier.RegressionTolerance}");

    /// <inheritdoc/>
    public override PredictionInput ReadInput(TaskSpec spec, IReadOnlyList<DataLine> lines, string source, char separator) =>
        Input(spec, TaskExamples.FromAddingLines(lines, source, labelled: false));

    /// <inheritdoc/>
    public override IReadOnlyList<string> Predict(TaskModel model, PredictionInput input, int beam, int top) =>
        ((SequenceClassifier)model).Predict(input.Examples).Select(v => I($"{v[0]:F4}")).ToList();
}
