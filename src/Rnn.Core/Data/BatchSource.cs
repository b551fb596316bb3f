namespace GpuRnn.Data;

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
/// this rank trains on its B / N examples (all of them in one process); validation is split between
/// the ranks likewise and its sums added in rank order.
/// </summary>
internal sealed class ExampleSource : BatchSource
{
    private readonly TaskData _data;
    private readonly TaskModel _model;
    private readonly TrainingOptions _options;
    private readonly DataParallel _parallel;
    private readonly int _first, _count;
    private readonly IReadOnlyList<SequenceExample> _validation;

    public ExampleSource(TaskData data, TaskModel model, TrainingOptions options, DataParallel parallel)
    {
        (_data, _model, _options, _parallel) = (data, model, options, parallel);
        var comm = parallel.Communicator;
        (_first, _count) = DataParallel.Share(options.Batch, comm);
        var (first, count) = DataParallel.Part(data.Validation.Count, comm.Size, comm.Rank);
        _validation = count == data.Validation.Count ? data.Validation : data.Validation.Skip(first).Take(count).ToArray();
    }

    public override LossStats TrainStep(long step)
    {
        var batch = _data.TrainBatch(step, _options.Batch);
        if (_count == batch.Count) return _model.TrainBatch(batch);
        var mine = new SequenceExample[_count];
        for (var i = 0; i < _count; i++) mine[i] = batch[_first + i];
        return _model.TrainBatch(mine);
    }

    public override LossStats Validate() =>
        _parallel.SumStats(_validation.Count > 0 ? _model.Evaluate(_validation, _options.Batch) : default);
}
