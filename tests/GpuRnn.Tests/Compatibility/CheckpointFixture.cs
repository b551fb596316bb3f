using GpuRnn.Tests.Tasks;

namespace GpuRnn.Tests.Compatibility;

/// <summary>
/// The checkpoint files under <c>fixtures/checkpoints</c>: each <c>{name}.safetensors</c> is a
/// training checkpoint written by GpuRnn at commit 9e7729a (before the module tree), and
/// <c>{name}.expected.safetensors</c> holds what that commit's code computed from it on fixed
/// inputs (<see cref="Outputs"/>). Later code must load the files and compute the same bits.
/// </summary>
public static class CheckpointFixture
{
    /// <summary>The folder of the fixture files (copied beside the test assembly).</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "fixtures", "checkpoints");

    /// <summary>The character-model checkpoints.</summary>
    public static readonly string[] CharModels = ["charlm_lstm2_dropout", "charlm_gru_adam"];

    /// <summary>The task checkpoints.</summary>
    public static readonly string[] Tasks = ["classify_gru_bi_mean", "adding_rnn", "tag_lstm_bi", "wordlm_class_lstm2", "seq2seq_lstm"];

    /// <summary>The seed of the fixed evaluation inputs (System.Random's seeded sequence is stable).</summary>
    public const int InputSeed = 20261202;

    /// <summary>A character model's outputs: the logits after a fixed prompt from a zero state, and the loss of a fixed chunk.</summary>
    public static Dictionary<string, HostTensor> Outputs(CharRnnModel model)
    {
        var rng = new Random(InputSeed);
        const int steps = 5, batch = 3;
        var v = model.VocabSize;
        var inputs = Enumerable.Range(0, steps * batch).Select(_ => rng.Next(v)).ToArray();
        var targets = Enumerable.Range(0, steps * batch).Select(_ => rng.Next(v)).ToArray();
        using var state = model.CreateState(batch);
        var logits = model.NextLogits(inputs, steps, state);
        var stats = model.Evaluate(inputs, targets, steps, state);
        return new()
        {
            ["logits"] = HostTensor.FromArray(logits, new Shape(batch, v)),
            ["hidden"] = state.Hidden.ToHost(),
            ["loss"] = HostTensor.FromArray([stats.LossSum, stats.Correct, stats.Count], new Shape(3)),
        };
    }

    /// <summary>A task model's outputs on fixed examples: the evaluation's loss and the task's predictions.</summary>
    public static Dictionary<string, HostTensor> Outputs(TaskModel model)
    {
        var examples = TaskFixtures.Examples(new Random(InputSeed), model.Spec, 7, 6);
        var stats = model.Evaluate(examples, 4);
        var result = new Dictionary<string, HostTensor>
        {
            ["loss"] = HostTensor.FromArray([stats.LossSum, stats.Correct, stats.Count], new Shape(3)),
        };
        switch (model)
        {
            case SequenceClassifier classifier:
                result["predictions"] = Flat(classifier.Predict(examples));
                break;
            case SequenceTagger tagger:
                result["log_probabilities"] = Flat(tagger.LogProbabilities(examples));
                break;
            case Seq2SeqModel seq2seq:
                result["sequence_log_probabilities"] = Flat([seq2seq.SequenceLogProbabilities(examples)]);
                result["greedy"] = Flat(seq2seq.Decode(examples).Select(o => o.Select(t => (double)t).Append(-1).ToArray()).ToArray());
                result["beam"] = Flat(seq2seq.Decode(examples, beam: 2).Select(o => o.Select(t => (double)t).Append(-1).ToArray()).ToArray());
                break;
            default:
                throw new InvalidOperationException($"no fixture outputs for a {model.GetType().Name}");
        }
        return result;
    }

    private static HostTensor Flat(double[][] rows)
    {
        var all = rows.SelectMany(r => r).ToArray();
        return HostTensor.FromArray(all, new Shape(all.Length));
    }
}
