namespace GpuRnn.Tasks;

/// <summary>A task's evaluation: the loss and the task's own measure.</summary>
/// <param name="Loss">Summed loss, correct predictions and count over the examples.</param>
/// <param name="Summary">One line with the task's measures, e.g. <c>accuracy 97.3% (973 of 1000), loss 0.0812 nats</c>.</param>
/// <param name="Details">Further lines (a confusion matrix, examples of mistakes), possibly none.</param>
/// <param name="Score">The headline number: accuracy, entity F1, exact match, mean squared error or perplexity.</param>
public sealed record TaskReport(LossStats Loss, string Summary, IReadOnlyList<string> Details, double Score);

/// <summary>
/// Evaluates a model the way its task is judged (<see cref="SequenceTask.Evaluate(TaskModel, IReadOnlyList{SequenceExample}, int, int, ICommunicator)"/>):
/// loss, bits per character and accuracy over a whole text, the state carried from chunk to chunk
/// (charlm), accuracy and a confusion matrix (classify), mean squared error against the always-1
/// baseline (adding), token accuracy and entity-level F1 of BIO tags (tag), recalled symbols
/// against the memoryless baseline (copy), exact match of greedy or beam-search outputs (seq2seq),
/// perplexity (wordlm).
/// </summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="model"/> on labelled <paramref name="examples"/>.</summary>
    /// <param name="model">The model (not changed).</param>
    /// <param name="examples">Examples with their labels, targets or outputs.</param>
    /// <param name="batch">Examples per forward pass (charlm: parallel streams).</param>
    /// <param name="beam">Seq2seq: beam width (1 = greedy).</param>
    /// <param name="communicator">Ranks that evaluate together under MPI (default: this process alone); every rank gets the same report.</param>
    public static TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, int batch = 32, int beam = 1, ICommunicator? communicator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("there are no examples to evaluate");
        return TaskRegistry.Get(model.Spec.Task).Evaluate(model, examples, batch, beam, communicator);
    }

    /// <summary>
    /// One line for a loss measured during training (validation): loss and accuracy for classes,
    /// the mean squared error for adding, perplexity for the word model.
    /// </summary>
    public static string Describe(TaskSpec spec, LossStats s)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return TaskRegistry.Get(spec.Task).Describe(spec, s);
    }
}
