using System.Globalization;

namespace GpuRnn.Tests.Compatibility;

/// <summary>
/// What a character-model checkpoint of an earlier version (format <c>gpurnn.char_model</c>) holds:
/// the architecture and characters apart, the carried state as its own two tensors.
/// </summary>
public sealed record LegacySnapshot(
    CharModelSpec Spec,
    Vocabulary Vocabulary,
    OptimizerConfig Optimizer,
    LearningRateSchedule Schedule,
    TrainingOptions Options,
    long Step,
    long OptimizerStep,
    ulong DropoutSeed,
    ulong DropoutCounter,
    IReadOnlyList<KeyValuePair<string, HostTensor>> Parameters,
    IReadOnlyList<KeyValuePair<string, HostTensor>> OptimizerState,
    HostTensor Hidden,
    HostTensor? Cell,
    string DataName);

/// <summary>
/// Writes character-model checkpoints in the format of earlier versions, byte for byte as their
/// <c>TrainingCheckpoint.Save</c> did, so tests can make old files that the library only reads
/// (<see cref="Checkpoint.Load"/>): tensors are the parameters, <c>optimizer.{parameter}.{buffer}</c>,
/// <c>train.hidden</c> and <c>train.cell</c>; metadata has the spec and the vocabulary apart.
/// </summary>
public static class LegacyCheckpoint
{
    /// <summary>The format's <c>format</c> metadata.</summary>
    public const string FormatName = "gpurnn.char_model";

    /// <summary>Writes <paramref name="snapshot"/> to <paramref name="path"/> as an earlier version did.</summary>
    public static void Save(string path, LegacySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(snapshot);
        var tensors = new List<KeyValuePair<string, HostTensor>>(snapshot.Parameters);
        foreach (var (name, t) in snapshot.OptimizerState) tensors.Add(new("optimizer." + name, t));
        tensors.Add(new(CharLmTask.HiddenName, snapshot.Hidden));
        if (snapshot.Cell is not null) tensors.Add(new(CharLmTask.CellName, snapshot.Cell));
        SafeTensors.Write(path, tensors, Metadata(snapshot));
    }

    /// <summary>The metadata strings of a snapshot, in the order they were written.</summary>
    public static Dictionary<string, string> Metadata(LegacySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        static string U(ulong v) => v.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["format_version"] = N(1),
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

    /// <summary>A charlm snapshot (as <see cref="Checkpoint.Load"/> reads an old file) in the old format's terms.</summary>
    public static LegacySnapshot From(TaskSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var state = snapshot.State.ToDictionary(kv => kv.Key, kv => kv.Value);
        return new LegacySnapshot(CharLmTask.Architecture(snapshot.Spec), CharLmTask.Characters(snapshot.Spec), snapshot.Optimizer, snapshot.Schedule,
            snapshot.Options, snapshot.Step, snapshot.OptimizerStep, snapshot.DropoutSeed, snapshot.DropoutCounter, snapshot.Parameters,
            snapshot.OptimizerState, state[CharLmTask.HiddenName], state.GetValueOrDefault(CharLmTask.CellName), snapshot.DataName);
    }
}
