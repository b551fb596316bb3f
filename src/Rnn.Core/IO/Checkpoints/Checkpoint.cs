using System.Globalization;
using static GpuRnn.IO.CheckpointMetadata;

namespace GpuRnn.IO;

/// <summary>
/// Training checkpoints of every task, the character model included, as safetensors files: the
/// parameters under their module names, the optimizer state as <c>optimizer.{parameter}.{buffer}</c>,
/// the state a task carries into the next step under <c>train.</c> (the character model's
/// <c>train.hidden</c> and <c>train.cell</c>), and metadata with the format, the task spec (task,
/// architecture, vocabularies, labels, tags, word classes) as JSON under <c>model</c>, the
/// optimizer, schedule and training options, the step, the optimizer's step, the dropout stream
/// and the data's name. Files are written atomically. The reader also reads the character-model
/// checkpoints of earlier versions (format <c>gpurnn.char_model</c>, <c>Checkpoint.Legacy.cs</c>),
/// whose metadata it maps to a <c>charlm</c> spec.
/// </summary>
public static partial class Checkpoint
{
    /// <summary>The value of the <c>format</c> metadata that marks a GpuRnn checkpoint.</summary>
    public const string FormatName = "gpurnn.task_model";

    /// <summary>The version of the layout written.</summary>
    public const int FormatVersion = 1;

    private const string OptimizerPrefix = "optimizer.";
    private const string StatePrefix = "train.";

    /// <summary>Writes <paramref name="snapshot"/> to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    /// <exception cref="ArgumentException">A carried-state tensor is not named <c>train.*</c>.</exception>
    public static void Save(string path, TaskSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(snapshot);
        var tensors = new List<KeyValuePair<string, HostTensor>>(snapshot.Parameters);
        foreach (var (name, t) in snapshot.OptimizerState) tensors.Add(new(OptimizerPrefix + name, t));
        foreach (var (name, t) in snapshot.State)
        {
            if (!name.StartsWith(StatePrefix, StringComparison.Ordinal)) throw new ArgumentException($"carried state '{name}' must be named '{StatePrefix}*'");
            tensors.Add(new(name, t));
        }
        static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        static string U(ulong v) => v.ToString(CultureInfo.InvariantCulture);
        SafeTensors.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["format_version"] = N(FormatVersion),
            ["task"] = snapshot.Spec.Task.ToName(),
            ["model"] = snapshot.Spec.ToJson(),
            ["optimizer"] = snapshot.Optimizer.ToJson(),
            ["schedule"] = snapshot.Schedule.ToJson(),
            ["training"] = snapshot.Options.ToJson(),
            ["step"] = N(snapshot.Step),
            ["optimizer_step"] = N(snapshot.OptimizerStep),
            ["dropout_seed"] = U(snapshot.DropoutSeed),
            ["dropout_counter"] = U(snapshot.DropoutCounter),
            ["data"] = snapshot.DataName,
        });
    }

    /// <summary>The task a checkpoint's metadata names, read from the header alone (<c>charlm</c> for a character-model checkpoint of an earlier version).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable safetensors file or not a GpuRnn checkpoint.</exception>
    public static TaskKind TaskOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var meta = SafeTensors.ReadHeader(path).Metadata;
        if (IsLegacy(meta)) return TaskKind.CharLm;
        CheckFormat(meta, path);
        var task = Required(meta, "task", path);
        try { return TaskNames.ParseTask(task); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: metadata task='{task}' is not a task this GpuRnn knows ({e.Message})"); }
    }

    /// <summary>The task of a GpuRnn checkpoint (see <see cref="TaskOf"/>), or null when the file's metadata names no GpuRnn checkpoint format.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable safetensors file, or its task is unknown.</exception>
    public static TaskKind? TryTaskOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var meta = SafeTensors.ReadHeader(path).Metadata;
        return IsLegacy(meta) || (meta.TryGetValue("format", out var format) && format == FormatName) ? TaskOf(path) : null;
    }

    /// <summary>
    /// Reads a checkpoint written by <see cref="Save"/> or an earlier version's character-model
    /// checkpoint (its architecture and characters become the spec; its <c>train.hidden</c> and
    /// <c>train.cell</c> the carried state). The metadata is read and checked against the header first
    /// (<see cref="ExpectedTensors.CheckHeader"/>): the <c>task</c> must be the spec's, and every
    /// parameter the spec implies must be there with its shape, as must the carried state for the
    /// saved batch and the optimizer state of each parameter, before any tensor data is read;
    /// weights must be finite.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a regular file, is truncated or malformed, is not a GpuRnn checkpoint, or its parts do not fit together.</exception>
    public static TaskSnapshot Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        TaskSpec? spec = null;
        var legacy = false;
        var file = SafeTensors.Read(path, header => spec = (legacy = IsLegacy(header.Metadata)) ? DescribeLegacy(header, path) : Describe(header, path));
        var meta = file.Metadata;
        var parameters = new List<KeyValuePair<string, HostTensor>>();
        var optimizerState = new List<KeyValuePair<string, HostTensor>>();
        var state = new List<KeyValuePair<string, HostTensor>>();
        foreach (var (name, tensor) in file.Tensors)
        {
            if (name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optimizerState.Add(new(name[OptimizerPrefix.Length..], tensor));
            else if (legacy ? IsLegacyState(name) : name.StartsWith(StatePrefix, StringComparison.Ordinal)) state.Add(new(name, tensor));
            else parameters.Add(new(name, tensor));
        }
        return new TaskSnapshot(
            spec!,
            Parse(path, () => OptimizerConfig.FromJson(Required(meta, "optimizer", path))),
            Parse(path, () => LearningRateSchedule.FromJson(Required(meta, "schedule", path))),
            Parse(path, () => TrainingOptions.FromJson(Required(meta, "training", path))),
            Integer(meta, "step", path),
            Integer(meta, "optimizer_step", path),
            Unsigned(meta, "dropout_seed", path),
            Unsigned(meta, "dropout_counter", path),
            parameters,
            optimizerState,
            meta.TryGetValue("data", out var data) ? data : "unknown data",
            state);
    }

    /// <summary>Reads a checkpoint and creates its model on <paramref name="backend"/> (float32) with the saved parameters.</summary>
    public static (TaskModel Model, TaskSnapshot Snapshot) LoadModel(string path, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var snapshot = Load(path);
        var model = TaskModels.Create(backend, snapshot.Spec, snapshot.Options.Seed);
        try
        {
            model.LoadStateDict(snapshot.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value), source: path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return (model, snapshot);
    }

    // Both formats are at version 1, and a file of either is refused in the same words.
    private static void CheckFormat(IReadOnlyDictionary<string, string> meta, string path, string formatName = FormatName)
    {
        if (!meta.TryGetValue("format", out var format) || format != formatName)
            throw new InvalidDataException($"{path}: is not a GpuRnn training checkpoint (its metadata has no format '{formatName}'; " +
                (meta.TryGetValue("format", out var f) ? $"it says '{f}')" : "a plain state_dict can be run with 'gpurnn run')"));
        var version = Required(meta, "format_version", path);
        if (version != FormatVersion.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{path}: checkpoint format version {version} is not supported (this GpuRnn reads version {FormatVersion})");
    }

    // What the metadata claims, checked against the header's tensors before any is read.
    private static TaskSpec Describe(SafeTensorsHeader header, string path)
    {
        var meta = header.Metadata;
        CheckFormat(meta, path);
        var spec = Parse(path, () => TaskSpec.FromJson(Required(meta, "model", path)));
        var task = Required(meta, "task", path);
        if (task != spec.Task.ToName())
            throw new InvalidDataException($"{path}: metadata task='{task}' contradicts the model spec in metadata 'model', which is a {spec.Task.ToName()} model");
        var options = Parse(path, () => TrainingOptions.FromJson(Required(meta, "training", path)));
        var kind = TaskRegistry.Get(spec.Task);
        ExpectedTensors.CheckHeader(header, path, $"its metadata 'model' ({spec}) with batch {options.Batch}", e =>
        {
            e.AddTaskModel(spec);
            kind.AddStateTensors(e, spec, options);
        });
        foreach (var t in header.Tensors)
        {
            if (t.Name.StartsWith(StatePrefix, StringComparison.Ordinal) && !IsExpectedState(kind, spec, options, t.Name))
                throw new InvalidDataException($"{path}: has a carried state '{t.Name}' that a {spec.Task.ToName()} model does not carry");
        }
        CheckOptimizerState(header, path, OptimizerPrefix);
        return spec;
    }

    private static bool IsExpectedState(SequenceTask task, TaskSpec spec, TrainingOptions options, string name)
    {
        var expected = new ExpectedTensors();
        task.AddStateTensors(expected, spec, options);
        return expected.Tensors.Any(t => t.Key == name);
    }
}
