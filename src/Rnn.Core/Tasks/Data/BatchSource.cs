namespace GpuRnn;

/// <summary>
/// What the trainer asks for each step's loss: a task's data bound to one model and one set of
/// training options. Examples read in batches (<see cref="TaskData.CreateSource"/>'s default) keep
/// nothing between steps; a text read as parallel streams (<see cref="StreamTaskData"/>) carries the
/// recurrent state from chunk to chunk, which a checkpoint saves and a resumed run restores.
/// </summary>
public abstract class BatchSource : IDisposable
{
    /// <summary>
    /// Accumulates into the (zeroed) gradients the gradient of the mean loss over the batch of step
    /// <paramref name="step"/> (0-based; a pure function of the step and the carried state) and
    /// returns the batch's loss statistics.
    /// </summary>
    public abstract LossStats TrainStep(long step);

    /// <summary>The loss statistics over the validation data (no dropout, no gradient).</summary>
    public abstract LossStats Validate();

    /// <summary>The state carried into the next step as host tensors named as in a checkpoint; none by default.</summary>
    public virtual IReadOnlyList<KeyValuePair<string, HostTensor>> CaptureState() => [];

    /// <summary>Restores what <see cref="CaptureState"/> captured.</summary>
    /// <exception cref="InvalidDataException">The saved state is missing, misshapen or extra.</exception>
    public virtual void RestoreState(IReadOnlyList<KeyValuePair<string, HostTensor>> saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        if (saved.Count > 0) throw new InvalidDataException($"checkpoint: has the carried state '{saved[0].Key}' but this task carries none");
    }

    /// <summary>Refuses a checkpoint trained with a batch shape this source cannot continue.</summary>
    /// <exception cref="InvalidDataException">The shapes differ.</exception>
    public virtual void CheckResume(TrainingOptions saved, TrainingOptions current)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(current);
        if (saved.Batch != current.Batch)
            throw new InvalidDataException($"the checkpoint was trained with batch {saved.Batch}, not {current.Batch}");
    }

    /// <summary>Frees what the source holds (carried state); not the model or the data.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>
/// Batches of examples: each step's batch is the data's <see cref="TaskData.TrainBatch"/>, of which
/// this rank trains on the <paramref name="count"/> examples from <paramref name="first"/> (all of
/// them in one process).
/// </summary>
internal sealed class ExampleSource(TaskData data, TaskModel model, TrainingOptions options, int first, int count) : BatchSource
{
    public override LossStats TrainStep(long step)
    {
        var batch = data.TrainBatch(step, options.Batch);
        if (count == batch.Count) return model.TrainBatch(batch);
        var mine = new SequenceExample[count];
        for (var i = 0; i < count; i++) mine[i] = batch[first + i];
        return model.TrainBatch(mine);
    }

    public override LossStats Validate() => model.Evaluate(data.Validation, options.Batch);
}
