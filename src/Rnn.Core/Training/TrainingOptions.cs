using System.Text.Json.Nodes;

namespace GpuRnn.Training;

/// <summary>How a <see cref="Trainer"/> runs: batch shape, length, evaluation and clipping.</summary>
/// <param name="Batch">Parallel streams per step, B.</param>
/// <param name="SequenceLength">Characters per stream per step (the BPTT truncation), T.</param>
/// <param name="Steps">The step at which training ends (counted from the start of training, also when resumed).</param>
/// <param name="Clip">Global gradient-norm limit; 0 disables clipping.</param>
/// <param name="EvalEvery">Evaluate on the validation text every this many steps (0 = only at the end).</param>
/// <param name="CheckpointEvery">Ask the observer to save a checkpoint every this many steps (0 = only at the end).</param>
/// <param name="EvalMaxCharacters">Validation characters per evaluation (0 = all of them).</param>
/// <param name="Seed">The seed the model and its dropout were created with (recorded in checkpoints).</param>
public sealed record TrainingOptions(
    int Batch = 32,
    int SequenceLength = 64,
    long Steps = 1000,
    double Clip = 5,
    int EvalEvery = 100,
    int CheckpointEvery = 0,
    long EvalMaxCharacters = 0,
    ulong Seed = 0)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public TrainingOptions Validate()
    {
        if (Batch <= 0) throw new ArgumentException($"batch size must be positive, got {Batch}");
        if (SequenceLength <= 0) throw new ArgumentException($"sequence length must be positive, got {SequenceLength}");
        if (Steps <= 0) throw new ArgumentException($"steps must be positive, got {Steps}");
        if (!(Clip >= 0)) throw new ArgumentException($"clip must be zero (off) or positive, got {Clip}");
        if (EvalEvery < 0) throw new ArgumentException($"eval-every must not be negative, got {EvalEvery}");
        if (CheckpointEvery < 0) throw new ArgumentException($"checkpoint-every must not be negative, got {CheckpointEvery}");
        if (EvalMaxCharacters < 0) throw new ArgumentException($"evaluation characters must not be negative, got {EvalMaxCharacters}");
        return this;
    }

    /// <summary>The options as JSON (how checkpoints store them).</summary>
    public string ToJson() => new JsonObject
    {
        ["batch"] = Batch,
        ["seq"] = SequenceLength,
        ["steps"] = Steps,
        ["clip"] = Clip,
        ["eval_every"] = EvalEvery,
        ["checkpoint_every"] = CheckpointEvery,
        ["eval_max_chars"] = EvalMaxCharacters,
        ["seed"] = Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }.ToJsonString();

    /// <summary>Reads <see cref="ToJson"/>'s form.</summary>
    public static TrainingOptions FromJson(string json) => JsonFields.Read(json, "the training options", f =>
        new TrainingOptions(f.Get<int>("batch"), f.Get<int>("seq"), f.Get<long>("steps"), f.Get<double>("clip"), f.Get<int>("eval_every"),
            f.Get<int>("checkpoint_every"), f.Get<long>("eval_max_chars"), ParseSeed(f.Get<string>("seed"))).Validate(), plural: true);

    // The seed is a string (a ulong does not survive JSON numbers); a seed too large for one is invalid like any malformed field.
    private static ulong ParseSeed(string text)
    {
        try { return ulong.Parse(text, System.Globalization.CultureInfo.InvariantCulture); }
        catch (OverflowException e) { throw new FormatException(e.Message, e); }
    }
}
