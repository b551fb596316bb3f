using static GpuRnn.IO.CheckpointMetadata;

namespace GpuRnn.IO;

/// <summary>
/// The character-model checkpoints of earlier versions, which are only read now: tensors as in
/// <see cref="Checkpoint"/> (parameters, <c>optimizer.{parameter}.{buffer}</c>, <c>train.hidden</c>
/// and <c>train.cell</c>), metadata as in <see cref="Checkpoint"/> except that the architecture
/// (<c>model</c>, a <see cref="CharModelSpec"/>) and the characters (<c>vocabulary</c>) stand
/// apart and there is no <c>task</c>.
/// </summary>
public static partial class Checkpoint
{
    private const string LegacyFormatName = "gpurnn.char_model";

    private static bool IsLegacy(IReadOnlyDictionary<string, string> meta) =>
        meta.TryGetValue("format", out var format) && format == LegacyFormatName;

    // An old file's reader took exactly these two as carried state, any other tensor as a parameter.
    private static bool IsLegacyState(string name) => name is CharLmTask.HiddenName or CharLmTask.CellName;

    // The old file's claims, checked against the header as its own reader did; the charlm spec they make.
    private static TaskSpec DescribeLegacy(SafeTensorsHeader header, string path)
    {
        var meta = header.Metadata;
        CheckFormat(meta, path, LegacyFormatName);
        var spec = Parse(path, () => CharModelSpec.FromJson(Required(meta, "model", path)));
        var vocabulary = Parse(path, () => Vocabulary.CharactersFromJson(Required(meta, "vocabulary", path)));
        if (vocabulary.Count != spec.VocabSize)
            throw new InvalidDataException($"{path}: the vocabulary has {vocabulary.Count} characters but the model's size is {spec.VocabSize}");
        var options = Parse(path, () => TrainingOptions.FromJson(Required(meta, "training", path)));
        if (!header.Tensors.Any(t => t.Name == CharLmTask.HiddenName))
            throw new InvalidDataException($"{path}: has no tensor '{CharLmTask.HiddenName}' (the carried hidden state)");
        var claim = $"its metadata 'model' ({spec.Cell.ToName()}, {spec.NumLayers} layer{(spec.NumLayers == 1 ? "" : "s")} of {spec.HiddenSize}, " +
            $"embedding {spec.EmbeddingSize}, vocabulary {spec.VocabSize}) with batch {options.Batch}";
        ExpectedTensors.CheckHeader(header, path, claim, e =>
        {
            e.AddCharModel(spec);
            e.Add(CharLmTask.HiddenName, spec.NumLayers, options.Batch, spec.HiddenSize);
            if (spec.Cell == RnnCellKind.Lstm) e.Add(CharLmTask.CellName, spec.NumLayers, options.Batch, spec.HiddenSize);
        });
        CheckOptimizerState(header, path, OptimizerPrefix);
        try { return CharLmTask.Spec(spec, vocabulary); }
        catch (ArgumentException e) { throw new InvalidDataException($"the character model's spec does not make a charlm model: {e.Message}"); }
    }
}
