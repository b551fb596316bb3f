using GpuRnn.Cli;
using GpuRnn.Tests.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Tasks;

/// <summary>
/// Tests that register a task: registered tasks join help texts and messages, so these run alone
/// and unregister the task before the next test starts.
/// </summary>
[CollectionDefinition(nameof(RegisteredTaskCollection), DisableParallelization = true)]
public sealed class RegisteredTaskCollection;

/// <summary>
/// A task defined outside Rnn.Core (<see cref="ParityTask"/>) and registered with one line trains,
/// evaluates, checkpoints and predicts through the same trainer, evaluator, checkpoint and CLI path
/// as the built-in tasks.
/// </summary>
[Collection(nameof(RegisteredTaskCollection))]
public sealed class RegisteredTaskTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ParityTask _task = new();

    public RegisteredTaskTests() => TaskRegistry.Register(_task);

    public void Dispose()
    {
        TaskRegistry.Unregister(_task);
        _folder.Dispose();
    }

    [Fact]
    public void ARegisteredTaskTrainsEvaluatesAndReloadsThroughTheSharedPath()
    {
        var seed = (ulong)TestRandom.Create().Next();
        var backend = TestBackends.Get("cpu");
        var (spec, data) = TaskSetup.Create(new TaskSettings { Task = ParityTask.ParityKind, HiddenSize = 8, EmbeddingSize = 4 }, null, seed);
        Assert.Equal("parity", spec.Task.ToName());
        Assert.Equal(ParityTask.ParityKind, TaskNames.ParseTask(" Parity "));
        using var model = TaskModels.Create(backend, spec, seed);
        Assert.IsType<SequenceClassifier>(model);
        var options = new TrainingOptions(Batch: 8, SequenceLength: 1, Steps: 5, Clip: 1, EvalEvery: 0, Seed: seed);
        using var trainer = new Trainer(model, data, new OptimizerConfig(OptimizerKind.Adam), new LearningRateSchedule(0.01), options);
        Assert.Equal(TrainingStatus.Completed, trainer.Run(null, TestContext.Current.CancellationToken).Status);
        Assert.Equal(5, trainer.Step);

        // The evaluator's accuracy against one computed here from the bits themselves.
        var examples = TaskSetup.BuiltInTest(spec);
        var report = Evaluator.Evaluate(model, examples, 32);
        var probabilities = model is SequenceClassifier c ? c.Predict(examples) : throw new InvalidOperationException();
        var right = examples.Select((e, i) => (probabilities[i][1] > probabilities[i][0] ? 1 : 0) == e.Tokens!.Count(b => b == 1) % 2).Count(r => r);
        Assert.Equal((double)right / examples.Count, report.Score, 12);
        Assert.StartsWith("loss ", report.Summary);

        // The checkpoint stores the task by name and reloads the same model.
        var path = _folder.File("parity.safetensors");
        trainer.SaveCheckpoint(path);
        var (loaded, snapshot) = Checkpoint.LoadModel(path, backend);
        using (loaded)
        {
            Assert.Equal(ParityTask.ParityKind, snapshot.Spec.Task);
            Assert.Equal(spec.ToString(), snapshot.Spec.ToString());
            var again = ((SequenceClassifier)loaded).Predict(examples);
            for (var i = 0; i < examples.Count; i++) Assert.Equal(probabilities[i], again[i]);
        }
    }

    [Fact]
    public void TheCliTrainsEvaluatesAndPredictsARegisteredTask()
    {
        var checkpoint = _folder.File("run/model.safetensors");
        var result = Gpurnn.Run(["train", "--task", "parity", "--steps", "3", "--out", checkpoint, .. TaskCommandTests.Tiny]);
        result.AssertSucceeded();
        Assert.Contains("data: built-in parity bits: training examples generated without end, validation examples 200", result.Out);
        Assert.Contains("model: parity: lstm, 1 layer of 6, embedding 4 over 2 space tokens, parity of 6 bits", result.Out);
        Assert.Contains("step 3/3", result.Out);
        Assert.Matches(@"validation: loss \d+\.\d{4} nats, accuracy \d+\.\d%", result.Out);
        Assert.Contains("adding, copy, wordlm, caption or parity", Gpurnn.Run(["train", "--help"]).Out);

        var eval = Gpurnn.Run(["eval", "--model", checkpoint, "--backend", "cpu"]);
        eval.AssertSucceeded();
        Assert.Contains("evaluated 200 examples of fresh examples of the built-in parity bits: loss ", eval.Out);

        var predict = Gpurnn.RunWithInput("0 1 1 0\n1 1 1\n", ["predict", "--model", checkpoint, "--backend", "cpu"]);
        Assert.True(predict.ExitCode == ExitCodes.Ok, $"exit code {predict.ExitCode}; stderr: {predict.Error}");
        Assert.StartsWith("backend: cpu", predict.Error);
        var lines = predict.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Contains(l, new[] { "even", "odd" }));

        // Options the task does not take are refused as for the built-in tasks.
        var error = Gpurnn.Run(["train", "--task", "parity", "--length", "4", "--out", _folder.File("x/model.safetensors"), .. TaskCommandTests.Tiny]).AssertFailed(ExitCodes.Usage);
        Assert.Contains("--length applies to --task adding or copy, not to --task parity", error);
    }

    [Fact]
    public void ARegisteredNameOrKindCannotBeTakenTwiceAndAnUnregisteredTaskIsUnknown()
    {
        Assert.Throws<ArgumentException>(() => TaskRegistry.Register(new ParityTask()));
        Assert.False(TaskRegistry.Unregister(TaskRegistry.Get(TaskKind.Classify)));
        Assert.True(TaskRegistry.Unregister(_task));
        var error = Assert.Throws<ArgumentException>(() => TaskNames.ParseTask("parity")).Message;
        Assert.Equal("unknown task 'parity' (expected charlm, classify, tag, seq2seq, adding, copy, wordlm or caption)", error);
        TaskRegistry.Register(_task);
        Assert.Equal("classify, tag, seq2seq, adding, copy, wordlm, caption or parity", TaskRegistry.Names);
    }
}
