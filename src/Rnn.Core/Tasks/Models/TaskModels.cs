namespace GpuRnn;

/// <summary>Creates the model a <see cref="TaskSpec"/> describes.</summary>
public static class TaskModels
{
    /// <summary>
    /// The model of <paramref name="spec"/>: a <see cref="SequenceClassifier"/> (classify, adding), a
    /// <see cref="SequenceTagger"/> (tag, copy, wordlm) or a <see cref="Seq2SeqModel"/>.
    /// </summary>
    public static TaskModel Create(IBackend backend, TaskSpec spec, ulong seed = 0, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Task switch
        {
            TaskKind.Classify or TaskKind.Adding => new SequenceClassifier(backend, spec, seed, dtype),
            TaskKind.Seq2Seq => new Seq2SeqModel(backend, spec, seed, dtype),
            _ => new SequenceTagger(backend, spec, seed, dtype),
        };
    }
}
