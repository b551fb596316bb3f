using System.Globalization;

namespace GpuRnn.Tasks;

/// <summary>The model a task trains: which of the three task models it builds.</summary>
public enum TaskModelFamily
{
    /// <summary>Many-to-one: a <see cref="SequenceClassifier"/> (labels, or one value for regression).</summary>
    Classifier,

    /// <summary>One output per step: a <see cref="SequenceTagger"/> (tags, symbols, next words).</summary>
    Tagger,

    /// <summary>An encoder-decoder: a <see cref="Seq2SeqModel"/>.</summary>
    Seq2Seq,

    /// <summary>A character language model: embedding, recurrent stack and decoder, a <see cref="CharRnnModel"/>.</summary>
    CharLm,

    /// <summary>A feature vector sets the initial state of a token decoder: a <see cref="CaptionModel"/>.</summary>
    Caption,
}

/// <summary>The <c>gpurnn train</c> options a task gives a meaning to; the others are refused for it.</summary>
[Flags]
public enum TaskOptions
{
    /// <summary>No task-specific option.</summary>
    None = 0,

    /// <summary><c>--bidirectional</c>: the task may read both ways.</summary>
    Bidirectional = 1,

    /// <summary><c>--pool</c>: many-to-one pooling.</summary>
    Pool = 2,

    /// <summary><c>--length</c>: the problem's length T.</summary>
    Length = 4,

    /// <summary><c>--copy-count</c>: symbols to remember.</summary>
    CopyCount = 8,

    /// <summary><c>--tokenize</c>: how input texts are cut.</summary>
    Tokenize = 16,

    /// <summary><c>--tokenize SOURCE,TARGET</c>: the targets are cut separately.</summary>
    TargetTokenize = 32,

    /// <summary><c>--softmax</c> and <c>--classes</c>: a class-based output layer.</summary>
    Softmax = 64,

    /// <summary><c>--reverse-source</c>: the encoder reads the source backwards.</summary>
    ReverseSource = 128,

    /// <summary><c>--beam</c>: beam-search decoding.</summary>
    Beam = 256,

    /// <summary><c>--seq</c>: the examples are windows of a text, of this many tokens.</summary>
    Window = 512,
}

/// <summary>
/// One sequence task: its data formats and built-in data, model, evaluation and metric text,
/// prediction, defaults and the options that apply to it. Every decision that depends on the task
/// is a member here, so adding a task is one subclass and one <see cref="TaskRegistry"/> line.
/// The built-in tasks are <see cref="CharLmTask"/> (the default), <see cref="ClassifyTask"/>, <see cref="TagTask"/>,
/// <see cref="Seq2SeqTask"/>, <see cref="AddingTask"/>, <see cref="CopyTask"/> and <see cref="WordLmTask"/>.
/// </summary>
/// <param name="name">The name on the command line and in checkpoints, e.g. <c>classify</c>.</param>
/// <param name="kind">The value <see cref="TaskSpec.Task"/> holds for this task.</param>
/// <param name="builtInName">The name of the built-in data (what a checkpoint records as its data without a file).</param>
/// <param name="family">The model this task trains.</param>
public abstract partial class SequenceTask(string name, TaskKind kind, string builtInName, TaskModelFamily family)
{
    /// <summary>Random streams of the built-in data: training, validation and (evaluation without a file) test examples.</summary>
    protected const ulong TrainStream = 1, ValidationStream = 2, TestStream = 3;

    /// <summary>The name on the command line and in checkpoints, e.g. <c>classify</c>.</summary>
    public string Name { get; } = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("a task needs a name", nameof(name)) : name;

    /// <summary>The value <see cref="TaskSpec.Task"/> holds for this task.</summary>
    public TaskKind Kind => kind;

    /// <summary>The name of the built-in data (what a checkpoint records as its data without a file).</summary>
    public string BuiltInName { get; } = builtInName ?? throw new ArgumentNullException(nameof(builtInName));

    /// <summary>The model this task trains.</summary>
    public TaskModelFamily Family => family;

    /// <summary>
    /// The family whose ONNX graph the task's models export as: by default <see cref="Family"/>; a
    /// language model whose model is of another family (wordlm, a tagger) exports as a step graph
    /// with states in and out, as the character model does.
    /// </summary>
    public virtual TaskModelFamily ExportFamily => Family;

    /// <summary>The options of <c>gpurnn train</c> that apply to this task.</summary>
    public virtual TaskOptions Options => TaskOptions.None;

    /// <summary>Whether the model predicts a value (mean squared error) rather than a class.</summary>
    public virtual bool IsRegression => false;

    /// <summary>Whether <c>gpurnn sample</c> continues a text with this task's models.</summary>
    public virtual bool CanSample => false;

    /// <summary>
    /// Whether <c>gpurnn predict</c> is for this task's models; a character model's <see cref="Predict"/>
    /// serves the library, while the command line continues its texts with <c>gpurnn sample</c>.
    /// </summary>
    public virtual bool CanPredict => true;

    /// <summary>Whether this task takes <paramref name="option"/>.</summary>
    public bool Accepts(TaskOptions option) => (Options & option) == option;

    /// <summary>Default hidden units per layer of <c>gpurnn train</c>.</summary>
    public virtual int DefaultHiddenSize => 64;

    /// <summary>Default training steps of <c>gpurnn train</c>, sized so the built-in run takes a minute or two on two CPU cores.</summary>
    public virtual long DefaultSteps => 800;

    /// <summary>Default <see cref="TaskSettings.Length"/> (adding: T; copy: the delay).</summary>
    public virtual int DefaultLength => 50;

    /// <summary>Default learning rate of Adam and AdamW.</summary>
    public virtual double DefaultLearningRate => 0.005;

    /// <summary>Default global gradient-norm limit; null = the character model's.</summary>
    public virtual double? DefaultClip => null;

    /// <summary>Whether a new model is bidirectional unless told otherwise.</summary>
    public virtual bool DefaultBidirectional => false;

    /// <summary>The label of the loss axis of the training plot.</summary>
    public virtual string LossAxis => "loss (nats per token)";

    /// <summary>What one evaluated example is called (<c>examples</c>, or <c>windows</c> of a text).</summary>
    public virtual string ExampleName => "examples";

    /// <summary>Task-specific checks of new-model settings; throws <see cref="ArgumentException"/> naming the field.</summary>
    public virtual void Validate(TaskSettings settings) { }

    /// <summary>Task-specific checks of a spec; throws <see cref="ArgumentException"/> naming the field.</summary>
    public virtual void Validate(TaskSpec spec) { }

    /// <summary>The end of <see cref="TaskSpec.ToString"/>: the task's outputs, e.g. <c>, 3 labels, last-state pooling</c>.</summary>
    public abstract string DescribeOutputs(TaskSpec spec);

    /// <summary>
    /// The task's data, from the file at <paramref name="path"/> or built in (null); for a new
    /// model (<paramref name="settings"/> given) also the spec's vocabularies, labels and sizes,
    /// read from the training part.
    /// </summary>
    /// <param name="spec">The spec: architecture only for a new model, complete for a resumed one.</param>
    /// <param name="settings">A new model's settings, or null for a resumed one.</param>
    /// <param name="path">A data file, or null for the built-in data.</param>
    /// <param name="seed">Seed of the order in which training examples are read.</param>
    /// <param name="window">Windowed tasks: tokens per training example.</param>
    /// <exception cref="InvalidDataException">The file is malformed or too small.</exception>
    public abstract (TaskSpec Spec, TaskData Data) Build(TaskSpec spec, TaskSettings? settings, string? path, ulong seed, int window);

    /// <summary>Every example of a labelled data file, read with the spec's vocabularies (for evaluation).</summary>
    public abstract IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window);

    /// <summary>Fresh built-in examples the model was not trained on (for evaluation without a file).</summary>
    public abstract IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window);

    /// <summary>The model of <paramref name="spec"/> (of <see cref="Family"/>).</summary>
    public virtual TaskModel CreateModel(IBackend backend, TaskSpec spec, ulong seed, DType dtype) => Family switch
    {
        TaskModelFamily.Classifier => new SequenceClassifier(backend, spec, seed, dtype),
        TaskModelFamily.Seq2Seq => new Seq2SeqModel(backend, spec, seed, dtype),
        TaskModelFamily.CharLm => new CharRnnModel(backend, spec, seed, dtype),
        _ => new SequenceTagger(backend, spec, seed, dtype),
    };

    /// <summary>
    /// Adds the tensors besides the parameters and the optimizer state that a checkpoint of this task
    /// holds (the character model's carried state <c>train.hidden</c>, <c>train.cell</c>); none by default.
    /// </summary>
    public virtual void AddStateTensors(ExpectedTensors tensors, TaskSpec spec, TrainingOptions options) { }

    /// <summary>
    /// Evaluates <paramref name="model"/> on labelled examples the way this task is judged: by default
    /// the model's loss over them in batches, then <see cref="Evaluate(TaskModel, IReadOnlyList{SequenceExample}, LossStats, int)"/>.
    /// </summary>
    /// <param name="model">The model (not changed).</param>
    /// <param name="examples">Examples with their labels, targets or outputs (at least one).</param>
    /// <param name="batch">Examples per forward pass.</param>
    /// <param name="beam">Beam width of decoding tasks (1 = greedy).</param>
    /// <param name="communicator">Ranks that evaluate together under MPI (default: this process alone). They split
    /// the work (<see cref="SplitEvaluation"/>: the loss's batches and the blocks of
    /// <see cref="EvaluationOutputs"/>) and every rank ends with one process's report, bit for bit.</param>
    public virtual TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, int batch, int beam, ICommunicator? communicator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        var (loss, outputs) = SplitEvaluation.Evaluate(model, examples, batch, communicator, part => EvaluationOutputs(model, part, beam));
        return outputs is null ? Evaluate(model, examples, loss, beam) : Evaluate(model, examples, loss, outputs, beam);
    }

    /// <summary>
    /// Per example, what the model outputs that this task's judgement reads: the predicted class
    /// (one value), the predicted tag of every step, the decoded tokens; null (the default) for a
    /// task judged by its loss alone. Computed apart from the judgement, so that the ranks of a job
    /// can each compute a share (<see cref="SplitEvaluation.Evaluate"/>); the outputs of a block of
    /// examples must equal those of the same examples within the whole list.
    /// </summary>
    /// <param name="model">The model (not changed).</param>
    /// <param name="examples">Examples, possibly a block of the whole list (at least one).</param>
    /// <param name="beam">Beam width of decoding tasks (1 = greedy).</param>
    public virtual int[][]? EvaluationOutputs(TaskModel model, IReadOnlyList<SequenceExample> examples, int beam) => null;

    /// <summary>
    /// The task's judgement of <paramref name="model"/> on labelled examples whose loss is
    /// <paramref name="loss"/> and whose <see cref="EvaluationOutputs"/> are <paramref name="outputs"/>
    /// (computed already, possibly by several ranks). By default, the judgement without them.
    /// </summary>
    /// <exception cref="NotSupportedException">The task gives <see cref="EvaluationOutputs"/> but does not judge them.</exception>
    public virtual TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int[][] outputs, int beam) =>
        throw new NotSupportedException($"task {Name} gives evaluation outputs but does not override Evaluate(model, examples, loss, outputs, beam) to judge them");

    /// <summary>What an evaluation covered, after <c>evaluated </c>: <c>1,000 examples</c>.</summary>
    public virtual string DescribeEvaluated(IReadOnlyList<SequenceExample> examples, TaskReport report)
    {
        ArgumentNullException.ThrowIfNull(examples);
        return I($"{examples.Count:N0} {ExampleName}");
    }

    /// <summary>The task's judgement of <paramref name="model"/> on labelled examples whose loss is <paramref name="loss"/>.</summary>
    /// <param name="model">The model (not changed).</param>
    /// <param name="examples">Examples with their labels, targets or outputs.</param>
    /// <param name="loss">The model's loss over them.</param>
    /// <param name="beam">Beam width of decoding tasks (1 = greedy).</param>
    /// <remarks>A task judged by its outputs overrides <see cref="EvaluationOutputs"/> and the overload that
    /// takes them, which this one calls; a task judged by its loss alone overrides this one.</remarks>
    /// <exception cref="NotSupportedException">The task overrides neither.</exception>
    public virtual TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int beam) =>
        EvaluationOutputs(model, examples, beam) is { } outputs
            ? Evaluate(model, examples, loss, outputs, beam)
            : throw new NotSupportedException($"task {Name} has no judgement: override Evaluate(model, examples, loss, beam), or EvaluationOutputs and Evaluate(model, examples, loss, outputs, beam)");

    /// <summary>One line for a loss measured during training (validation).</summary>
    public abstract string Describe(TaskSpec spec, LossStats loss);

    /// <summary>Reads unlabelled input lines (none blank, at least one) for prediction.</summary>
    /// <exception cref="InvalidDataException">A line is malformed; the message names the source and the line.</exception>
    public abstract PredictionInput ReadInput(TaskSpec spec, IReadOnlyList<DataLine> lines, string source, char separator);

    /// <summary>The output lines for inputs read by <see cref="ReadInput"/>, one result per input.</summary>
    public abstract IReadOnlyList<string> Predict(TaskModel model, PredictionInput input, int beam, int top);

    /// <summary>Prediction inputs of <paramref name="spec"/>: one example per input, and the sentences whose tokens the output repeats.</summary>
    protected static PredictionInput Input(TaskSpec spec, IReadOnlyList<SequenceExample> examples, IReadOnlyList<TaggedSentence>? sentences = null) =>
        new(spec, examples, sentences);

    /// <summary>A fixed random 90/10 split of the indices (at least one of each), the same for every run.</summary>
    protected static (List<int> Train, List<int> Validation) Split(List<int> items, string source)
    {
        if (items.Count < 2) throw new InvalidDataException($"{source} has {items.Count} example{(items.Count == 1 ? "" : "s")}; at least 2 are needed (one for validation)");
        var order = FixedTaskData.Shuffle(items.Count, 0x5B11);
        var validation = Math.Max(1, items.Count / 10);
        return (order[validation..].Select(i => items[i]).ToList(), order[..validation].Select(i => items[i]).ToList());
    }

    /// <summary>A file's examples split by <see cref="Split"/> into training and validation data.</summary>
    protected static FixedTaskData Fixed(string name, IReadOnlyList<SequenceExample> examples, string source, ulong seed)
    {
        var (train, validation) = Split(Enumerable.Range(0, examples.Count).ToList(), source);
        return new FixedTaskData(name, train.Select(i => examples[i]).ToList(), validation.Select(i => examples[i]).ToList(), seed);
    }

    /// <summary>Formats with the invariant culture.</summary>
    protected static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
