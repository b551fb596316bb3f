namespace GpuRnn.Tasks;

/// <summary>
/// Reads or generates a task's data and, for a new model, builds the spec's vocabularies, labels
/// and word classes from the training part. Data files are split 90/10 into training and
/// validation examples in a fixed random order (a word text: its first 90% of words trains);
/// without a file each task generates its own data (<see cref="BuiltInName"/>). The work is the
/// task's (<see cref="SequenceTask.Build"/>); this is its entry point by <see cref="TaskKind"/>.
/// </summary>
public static class TaskSetup
{
    /// <summary>The name of a task's built-in data.</summary>
    public static string BuiltInName(TaskKind task) => TaskRegistry.Get(task).BuiltInName;

    /// <summary>
    /// The spec of a new model of <paramref name="settings"/> and its data, from the file at
    /// <paramref name="path"/> or the built-in generator (null).
    /// </summary>
    /// <param name="settings">The architecture and reading choices.</param>
    /// <param name="path">A data file, or null for the built-in data.</param>
    /// <param name="seed">Seed of the order in which training examples are read.</param>
    /// <param name="window">Word language model: words per training example.</param>
    /// <exception cref="InvalidDataException">The file is malformed (the message names the file and the line) or too small.</exception>
    public static (TaskSpec Spec, TaskData Data) Create(TaskSettings settings, string? path, ulong seed, int window = 35)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var spec = new TaskSpec
        {
            Task = settings.Task,
            Cell = settings.Cell,
            HiddenSize = settings.HiddenSize,
            NumLayers = settings.NumLayers,
            Bidirectional = settings.Bidirectional,
            Dropout = settings.Dropout,
            RecurrentInit = settings.RecurrentInit,
            ForgetBias = settings.ForgetBias,
            LayerNorm = settings.LayerNorm,
            Zoneout = settings.Zoneout,
            ZoneoutCell = settings.ZoneoutCell,
            CellClip = settings.CellClip,
            EmbeddingSize = settings.EmbeddingSize,
            Pooling = settings.Pooling,
            Softmax = TaskRegistry.Get(settings.Task).Accepts(TaskOptions.Softmax) ? settings.Softmax : SoftmaxKind.Full,
            ReverseSource = settings.ReverseSource,
        };
        return TaskRegistry.Get(spec.Task).Build(spec, settings, path, seed, window);
    }

    /// <summary>The data of an existing model (a resumed run), read with its spec's vocabularies.</summary>
    public static TaskData Load(TaskSpec spec, string? path, ulong seed, int window = 35)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return TaskRegistry.Get(spec.Task).Build(spec, null, path, seed, window).Data;
    }

    /// <summary>Every example of a labelled data file, read with the spec's vocabularies (for evaluation).</summary>
    public static IReadOnlyList<SequenceExample> ReadFile(TaskSpec spec, string path, int window = 35)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(path);
        return TaskRegistry.Get(spec.Task).ReadFile(spec, path, window);
    }

    /// <summary>Fresh built-in examples the model was not trained on (for evaluation without a file).</summary>
    public static IReadOnlyList<SequenceExample> BuiltInTest(TaskSpec spec, int window = 35)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return TaskRegistry.Get(spec.Task).BuiltInTest(spec, window);
    }
}
