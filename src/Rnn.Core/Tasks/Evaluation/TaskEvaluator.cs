using System.Globalization;

namespace GpuRnn;

/// <summary>A task's evaluation: the loss and the task's own measure.</summary>
/// <param name="Loss">Summed loss, correct predictions and count over the examples.</param>
/// <param name="Summary">One line with the task's measures, e.g. <c>accuracy 97.3% (973 of 1000), loss 0.0812 nats</c>.</param>
/// <param name="Details">Further lines (a confusion matrix, examples of mistakes), possibly none.</param>
/// <param name="Score">The headline number: accuracy, entity F1, exact match, mean squared error or perplexity.</param>
public sealed record TaskReport(LossStats Loss, string Summary, IReadOnlyList<string> Details, double Score);

/// <summary>
/// Evaluates a task model the way its task is judged: accuracy and a confusion matrix
/// (classify), mean squared error against the always-1 baseline (adding), token accuracy and
/// entity-level F1 of BIO tags (tag), recalled symbols against the memoryless baseline (copy),
/// exact match of greedy or beam-search outputs (seq2seq), perplexity (wordlm).
/// </summary>
public static class TaskEvaluator
{
    /// <summary>Evaluates <paramref name="model"/> on labelled <paramref name="examples"/>.</summary>
    /// <param name="model">The model (not changed).</param>
    /// <param name="examples">Examples with their labels, targets or outputs.</param>
    /// <param name="batch">Examples per forward pass.</param>
    /// <param name="beam">Seq2seq: beam width (1 = greedy).</param>
    public static TaskReport Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, int batch = 32, int beam = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("there are no examples to evaluate");
        var loss = model.Evaluate(examples, batch);
        return model.Spec.Task switch
        {
            TaskKind.Classify => Classify((SequenceClassifier)model, examples, loss),
            TaskKind.Adding => Adding((SequenceClassifier)model, examples, loss),
            TaskKind.Tag => Tag((SequenceTagger)model, examples, loss),
            TaskKind.Copy => Copy((SequenceTagger)model, examples, loss),
            TaskKind.Seq2Seq => Seq2Seq((Seq2SeqModel)model, examples, loss, beam),
            _ => new TaskReport(loss, Describe(model.Spec, loss), [], Math.Exp(loss.Loss)),
        };
    }

    /// <summary>
    /// One line for a loss measured during training (validation): loss and accuracy for classes,
    /// the mean squared error for adding, perplexity for the word model.
    /// </summary>
    public static string Describe(TaskSpec spec, LossStats s)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Task switch
        {
            TaskKind.Adding => I($"mean squared error {s.Loss:F4} (always 1 scores {AddingProblem.BaselineMse:F4}), {100 * s.Accuracy:F1}% within {SequenceClassifier.RegressionTolerance}"),
            TaskKind.WordLm => I($"loss {s.Loss:F4} nats per word, perplexity {Math.Exp(s.Loss):F2}") + (s.Correct > 0 ? I($", accuracy {100 * s.Accuracy:F1}%") : ""),
            TaskKind.Copy => I($"loss {s.Loss:F4} nats per step (memoryless {CopyProblem.BaselineLoss(spec.Length, spec.CopyCount):F4}), accuracy {100 * s.Accuracy:F1}% of steps"),
            TaskKind.Classify => I($"loss {s.Loss:F4} nats, accuracy {100 * s.Accuracy:F1}%"),
            _ => I($"loss {s.Loss:F4} nats per token, token accuracy {100 * s.Accuracy:F1}%"),
        };
    }

    private static TaskReport Classify(SequenceClassifier model, IReadOnlyList<SequenceExample> examples, LossStats loss)
    {
        var labels = model.Spec.OutputVocabulary!;
        var matrix = new ConfusionMatrix(labels.Tokens);
        var probabilities = model.Predict(examples);
        for (var i = 0; i < examples.Count; i++) matrix.Add(examples[i].Label, HeadMath.ArgMax(probabilities[i]));
        var summary = I($"accuracy {100 * matrix.Accuracy:F1}% ({matrix.Correct} of {matrix.Total}), loss {loss.Loss:F4} nats");
        return new TaskReport(loss, summary, ["confusion matrix (rows: true label, columns: predicted):", .. matrix.Format()], matrix.Accuracy);
    }

    private static TaskReport Adding(SequenceClassifier model, IReadOnlyList<SequenceExample> examples, LossStats loss) =>
        new(loss, Describe(model.Spec, loss), [], loss.Loss);

    private static TaskReport Tag(SequenceTagger model, IReadOnlyList<SequenceExample> examples, LossStats loss)
    {
        var tags = model.Spec.OutputVocabulary!;
        var predicted = model.Predict(examples);
        long right = 0, total = 0;
        var entities = default(EntityCounts);
        var bio = EntityScore.IsBio(tags.Tokens);
        for (var i = 0; i < examples.Count; i++)
        {
            var truth = examples[i].Targets!;
            for (var t = 0; t < truth.Length; t++)
            {
                if (truth[t] < 0) continue;
                total++;
                if (predicted[i][t] == truth[t]) right++;
            }
            if (bio) entities += EntityScore.Score(predicted[i].Select(id => tags[id]).ToArray(), truth.Select(id => tags[id]).ToArray());
        }
        var accuracy = total == 0 ? double.NaN : (double)right / total;
        var summary = I($"token accuracy {100 * accuracy:F1}% ({right} of {total})");
        if (!bio) return new TaskReport(loss, summary + I($", loss {loss.Loss:F4} nats per token (the tags are not BIO, so no entity F1)"), [], accuracy);
        summary += I($", entity F1 {100 * entities.F1:F1}% (precision {100 * entities.Precision:F1}%, recall {100 * entities.Recall:F1}%, {entities.Actual} entities)");
        return new TaskReport(loss, summary, [], entities.F1);
    }

    private static TaskReport Copy(SequenceTagger model, IReadOnlyList<SequenceExample> examples, LossStats loss)
    {
        var predicted = model.Predict(examples);
        long right = 0, total = 0;
        for (var i = 0; i < examples.Count; i++)
        {
            var truth = examples[i].Targets!;
            // The steps that recall a symbol (1..8); blanks are easy and would hide forgetting.
            for (var t = 0; t < truth.Length; t++)
            {
                if (truth[t] is <= 0 or >= CopyProblem.Delimiter) continue;
                total++;
                if (predicted[i][t] == truth[t]) right++;
            }
        }
        var recalled = total == 0 ? double.NaN : (double)right / total;
        var summary = I($"symbols recalled {100 * recalled:F1}% ({right} of {total}; chance 12.5%), ") + Describe(model.Spec, loss);
        return new TaskReport(loss, summary, [], recalled);
    }

    private static TaskReport Seq2Seq(Seq2SeqModel model, IReadOnlyList<SequenceExample> examples, LossStats loss, int beam)
    {
        var outputs = model.Decode(examples, beam);
        var spec = model.Spec;
        var right = 0;
        var mistakes = new List<string>();
        for (var i = 0; i < examples.Count; i++)
        {
            if (outputs[i].AsSpan().SequenceEqual(examples[i].Output)) right++;
            else if (mistakes.Count < 5)
                mistakes.Add($"  {Text(spec.InputVocabulary!, examples[i].Tokens!, spec.InputTokenization)} -> {Text(spec.OutputVocabulary!, outputs[i], spec.OutputTokenization)} " +
                    $"(expected {Text(spec.OutputVocabulary!, examples[i].Output!, spec.OutputTokenization)})");
        }
        var exact = (double)right / examples.Count;
        var summary = I($"exact match {100 * exact:F1}% ({right} of {examples.Count}, {(beam > 1 ? $"beam {beam}" : "greedy")}), loss {loss.Loss:F4} nats per token, token accuracy {100 * loss.Accuracy:F1}% (teacher forcing)");
        return new TaskReport(loss, summary, mistakes.Count > 0 ? ["some mistakes:", .. mistakes] : [], exact);
    }

    /// <summary>The text of token ids.</summary>
    public static string Text(TokenVocabulary vocabulary, IEnumerable<int> ids, Tokenization tokenization)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return Tokenizer.Join(ids.Select(id => vocabulary[id]), tokenization);
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
