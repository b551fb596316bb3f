using System.Globalization;
using static GpuRnn.IO.CheckpointMetadata;

namespace GpuRnn.IO;

/// <summary>
/// Training checkpoints of a character model as safetensors files. Tensors: the model's
/// parameters under PyTorch module names (<c>embedding.weight</c>, <c>rnn.weight_ih_l0</c>, ...,
/// <c>decoder.weight</c>, <c>decoder.bias</c>), the optimizer state as
/// <c>optimizer.{parameter}.{buffer}</c> (PyTorch's buffer names: <c>exp_avg</c>,
/// <c>exp_avg_sq</c>, <c>momentum_buffer</c>, <c>square_avg</c>) and the hidden state carried into
/// the next chunk as <c>train.hidden</c> and <c>train.cell</c>. Metadata: the format, the model
/// spec, vocabulary, optimizer, schedule and training options as JSON, the step, the optimizer's
/// step and the dropout generator's seed and counter. Files are written atomically.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>The value of the <c>format</c> metadata that marks a GpuRnn character-model checkpoint.</summary>
    public const string FormatName = "gpurnn.char_model";

    /// <summary>The version of the layout written.</summary>
    public const int FormatVersion = 1;

    private const string OptimizerPrefix = "optimizer.";
    private const string HiddenName = "train.hidden";
    private const string CellName = "train.cell";

    /// <summary>Writes <paramref name="snapshot"/> to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    public static void Save(string path, TrainingSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(snapshot);
        var tensors = new List<KeyValuePair<string, HostTensor>>(snapshot.Parameters);
        foreach (var (name, t) in snapshot.OptimizerState) tensors.Add(new(OptimizerPrefix + name, t));
        tensors.Add(new(HiddenName, snapshot.Hidden));
        if (snapshot.Cell is not null) tensors.Add(new(CellName, snapshot.Cell));
        SafeTensors.Write(path, tensors, Metadata(snapshot));
    }

    /// <summary>The metadata strings of a snapshot.</summary>
    public static Dictionary<string, string> Metadata(TrainingSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        static string U(ulong v) => v.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["format_version"] = N(FormatVersion),
            ["model"] = snapshot.Spec.ToJson(),
            ["vocabulary"] = snapshot.Vocabulary.ToJson(),
            ["optimizer"] = snapshot.Optimizer.ToJson(),
            ["schedule"] = snapshot.Schedule.ToJson(),
            ["training"] = snapshot.Options.ToJson(),
            ["step"] = N(snapshot.Step),
            ["optimizer_step"] = N(snapshot.OptimizerStep),
            ["dropout_seed"] = U(snapshot.DropoutSeed),
            ["dropout_counter"] = U(snapshot.DropoutCounter),
            ["data"] = snapshot.DataName,
        };
    }

    /// <summary>
    /// Reads a checkpoint written by <see cref="Save"/>. The metadata is read and checked against the
    /// header first (<see cref="ExpectedTensors.CheckHeader"/>): every parameter the model spec implies
    /// must be there with its shape, as must the carried state [L, B, H] for the saved batch and the
    /// optimizer state of each parameter, before any tensor data is read; weights must be finite.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a regular file, is truncated or malformed, is not a GpuRnn character-model checkpoint, or its parts do not fit together.</exception>
    public static TrainingSnapshot Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Described? described = null;
        var file = SafeTensors.Read(path, header => described = Describe(header, path));
        var (meta, spec, vocabulary, options) = described!;
        var parameters = new List<KeyValuePair<string, HostTensor>>();
        var optimizerState = new List<KeyValuePair<string, HostTensor>>();
        HostTensor? hidden = null, cell = null;
        foreach (var (name, tensor) in file.Tensors)
        {
            if (name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optimizerState.Add(new(name[OptimizerPrefix.Length..], tensor));
            else if (name == HiddenName) hidden = tensor;
            else if (name == CellName) cell = tensor;
            else parameters.Add(new(name, tensor));
        }
        return new TrainingSnapshot(
            spec,
            vocabulary,
            Parse(path, () => OptimizerConfig.FromJson(Required(meta, "optimizer", path))),
            Parse(path, () => LearningRateSchedule.FromJson(Required(meta, "schedule", path))),
            options,
            Integer(meta, "step", path),
            Integer(meta, "optimizer_step", path),
            Unsigned(meta, "dropout_seed", path),
            Unsigned(meta, "dropout_counter", path),
            parameters,
            optimizerState,
            hidden!,
            cell,
            meta.TryGetValue("data", out var data) ? data : "unknown data");
    }

    private sealed record Described(IReadOnlyDictionary<string, string> Metadata, CharModelSpec Spec, Vocabulary Vocabulary, TrainingOptions Options);

    // Everything the metadata claims, checked against the header's tensors before any is read.
    private static Described Describe(SafeTensorsHeader header, string path)
    {
        var meta = header.Metadata;
        if (!meta.TryGetValue("format", out var format) || format != FormatName)
            throw new InvalidDataException($"{path}: is not a GpuRnn training checkpoint (its metadata has no format '{FormatName}'; " +
                (meta.TryGetValue("format", out var f) ? $"it says '{f}')" : "a plain state_dict can be run with 'gpurnn run')"));
        var version = Required(meta, "format_version", path);
        if (version != FormatVersion.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{path}: checkpoint format version {version} is not supported (this GpuRnn reads version {FormatVersion})");

        var spec = Parse(path, () => CharModelSpec.FromJson(Required(meta, "model", path)));
        var vocabulary = Parse(path, () => Vocabulary.CharactersFromJson(Required(meta, "vocabulary", path)));
        if (vocabulary.Count != spec.VocabSize)
            throw new InvalidDataException($"{path}: the vocabulary has {vocabulary.Count} characters but the model's size is {spec.VocabSize}");
        var options = Parse(path, () => TrainingOptions.FromJson(Required(meta, "training", path)));
        if (!header.Tensors.Any(t => t.Name == HiddenName))
            throw new InvalidDataException($"{path}: has no tensor '{HiddenName}' (the carried hidden state)");
        var claim = $"its metadata 'model' ({spec.Cell.ToName()}, {spec.NumLayers} layer{(spec.NumLayers == 1 ? "" : "s")} of {spec.HiddenSize}, " +
            $"embedding {spec.EmbeddingSize}, vocabulary {spec.VocabSize}) with batch {options.Batch}";
        ExpectedTensors.CheckHeader(header, path, claim, e =>
        {
            e.AddCharModel(spec);
            e.Add(HiddenName, spec.NumLayers, options.Batch, spec.HiddenSize);
            if (spec.Cell == RnnCellKind.Lstm) e.Add(CellName, spec.NumLayers, options.Batch, spec.HiddenSize);
        });
        CheckOptimizerState(header, path, OptimizerPrefix);
        return new Described(meta, spec, vocabulary, options);
    }

    /// <summary>
    /// Reads a checkpoint and creates its model on <paramref name="backend"/> (float32) with the saved
    /// parameters, for sampling and evaluation.
    /// </summary>
    public static (CharRnnModel Model, TrainingSnapshot Snapshot) LoadModel(string path, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var snapshot = Load(path);
        var model = new CharRnnModel(backend, CharLmTask.Spec(snapshot.Spec, snapshot.Vocabulary), snapshot.Options.Seed);
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
