namespace GpuRnn.Tasks;

/// <summary>Creates the model a <see cref="TaskSpec"/> describes.</summary>
public static class TaskModels
{
    /// <summary>
    /// The model of <paramref name="spec"/>: a <see cref="SequenceClassifier"/> (classify, adding), a
    /// <see cref="SequenceTagger"/> (tag, copy, wordlm) or a <see cref="Seq2SeqModel"/>, as its task
    /// (<see cref="SequenceTask.CreateModel"/>) builds it.
    /// </summary>
    public static TaskModel Create(IBackend backend, TaskSpec spec, ulong seed = 0, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return TaskRegistry.Get(spec.Task).CreateModel(backend, spec, seed, dtype);
    }
}
