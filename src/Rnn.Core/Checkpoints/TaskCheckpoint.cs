using System.Globalization;
using static GpuRnn.CheckpointMetadata;

namespace GpuRnn;

/// <summary>
/// Training checkpoints of the sequence tasks as safetensors files, laid out as
/// <see cref="TrainingCheckpoint"/>'s: the parameters under their module names, the optimizer state
/// as <c>optimizer.{parameter}.{buffer}</c>, and metadata with the format, the task spec (task,
/// architecture, vocabularies, labels, tags, word classes) as JSON under <c>model</c>, the
/// optimizer, schedule and training options, the step, the optimizer's step, the dropout stream
/// and the data's name. Files are written atomically.
/// </summary>
public static class TaskCheckpoint
{
    /// <summary>The value of the <c>format</c> metadata that marks a GpuRnn task checkpoint.</summary>
    public const string FormatName = "gpurnn.task_model";

    /// <summary>The version of the layout written.</summary>
    public const int FormatVersion = 1;

    private const string OptimizerPrefix = "optimizer.";

    /// <summary>Writes <paramref name="snapshot"/> to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    public static void Save(string path, TaskSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(snapshot);
        var tensors = new List<KeyValuePair<string, HostTensor>>(snapshot.Parameters);
        foreach (var (name, t) in snapshot.OptimizerState) tensors.Add(new(OptimizerPrefix + name, t));
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

    /// <summary>Whether a file's metadata marks it as a task checkpoint (false for a character-model checkpoint).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable safetensors file.</exception>
    public static bool IsTaskCheckpoint(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return SafeTensors.ReadHeader(path).Metadata.TryGetValue("format", out var format) && format == FormatName;
    }

    /// <summary>
    /// Reads a checkpoint written by <see cref="Save"/>. The metadata is read and checked against the
    /// header first (<see cref="ExpectedTensors.CheckHeader"/>): the <c>task</c> must be the spec's, and
    /// every parameter the spec implies must be there with its shape, as must the optimizer state
    /// of each parameter, before any tensor data is read; weights must be finite.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a regular file, is truncated or malformed, is not a GpuRnn task checkpoint, or its parts do not fit together.</exception>
    public static TaskSnapshot Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        TaskSpec? spec = null;
        var file = SafeTensors.Read(path, header => spec = Describe(header, path));
        var meta = file.Metadata;
        var parameters = new List<KeyValuePair<string, HostTensor>>();
        var optimizerState = new List<KeyValuePair<string, HostTensor>>();
        foreach (var (name, tensor) in file.Tensors)
        {
            if (name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optimizerState.Add(new(name[OptimizerPrefix.Length..], tensor));
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
            meta.TryGetValue("data", out var data) ? data : "unknown data");
    }

    // What the metadata claims, checked against the header's tensors before any is read.
    private static TaskSpec Describe(SafeTensorsHeader header, string path)
    {
        var meta = header.Metadata;
        if (!meta.TryGetValue("format", out var format) || format != FormatName)
            throw new InvalidDataException($"{path}: is not a GpuRnn task checkpoint (its metadata has no format '{FormatName}'" +
                (meta.TryGetValue("format", out var f) ? $"; it says '{f}')" : ")"));
        var version = Required(meta, "format_version", path);
        if (version != FormatVersion.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{path}: task checkpoint format version {version} is not supported (this GpuRnn reads version {FormatVersion})");
        var spec = Parse(path, () => TaskSpec.FromJson(Required(meta, "model", path)));
        var task = Required(meta, "task", path);
        if (task != spec.Task.ToName())
            throw new InvalidDataException($"{path}: metadata task='{task}' contradicts the model spec in metadata 'model', which is a {spec.Task.ToName()} model");
        ExpectedTensors.CheckHeader(header, path, $"its metadata 'model' ({spec})", e => e.AddTaskModel(spec));
        CheckOptimizerState(header, path, OptimizerPrefix);
        return spec;
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
}
