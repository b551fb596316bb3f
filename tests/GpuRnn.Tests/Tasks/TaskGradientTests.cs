using GpuRnn.Cpu;
using GpuRnn.Tests.GradientChecks;
using Xunit;

namespace GpuRnn.Tests.Tasks;

/// <summary>Every task's loss and output layer against central finite differences, in float64 on the CPU backend.</summary>
public class TaskGradientTests
{
    private static readonly CpuBackend Cpu = new();

    public static TheoryData<string> Cases => new(
        "classify lstm last bidirectional 2 layers",
        "classify gru mean",
        "classify numeric rnn_tanh last bidirectional",
        "adding rnn_relu identity",
        "adding lstm mean",
        "tag lstm bidirectional 2 layers",
        "copy gru",
        "wordlm lstm class softmax",
        "wordlm gru full softmax",
        "seq2seq lstm 2 layers",
        "seq2seq gru",
        "caption lstm 2 layers",
        "caption gru",
        "caption rnn_tanh");

    private static TaskSpec SpecOf(string name)
    {
        var words = name.Split(' ');
        var task = TaskNames.ParseTask(words[0]);
        var cell = RnnNames.ParseCell(words[words[1] == "numeric" ? 2 : 1]);
        var spec = TaskFixtures.Spec(task, cell);
        if (words.Contains("numeric")) spec = spec with { InputVocabulary = null, EmbeddingSize = 0, FeatureSize = 3 };
        if (words.Contains("bidirectional")) spec = spec with { Bidirectional = true };
        if (words.Contains("2")) spec = spec with { NumLayers = 2 };
        if (words.Contains("mean")) spec = spec with { Pooling = Pooling.Mean };
        if (words.Contains("identity")) spec = spec with { RecurrentInit = RecurrentInit.Identity };
        if (words.Contains("class"))
            spec = spec with { OutputVocabulary = TaskFixtures.Tokens(7), Softmax = SoftmaxKind.Class, WordClasses = [0, 0, 0, 1, 2, 2, 2] };
        return spec;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsOfTheMeanLossMatchCentralFiniteDifferences(string name)
    {
        var rng = TestRandom.Create();
        var spec = SpecOf(name);
        var (model, examples) = Draw(rng, spec);
        using var owned = model;
        double Loss() => model.EvaluateBatch(examples).Loss;

        model.ZeroGrad();
        var trained = model.TrainBatch(examples);
        Assert.Equal(Loss(), trained.Loss, 1e-12);
        foreach (var p in model.Parameters)
        {
            var numeric = GradientChecker.Numeric(p.Value, Loss);
            GradientChecker.AssertMatches(p.Gradient.ToFloat64Array(), numeric, $"{name}: d loss / d {p.Name}");
        }
    }

    // A relu stack is redrawn until every pre-activation keeps RecurrentProblem.ReluMargin from 0, as
    // the recurrent checks do: a difference straddling the kink compares two slopes (seed 994017952
    // put one within the step of it).
    private static (TaskModel Model, SequenceExample[] Examples) Draw(Random rng, TaskSpec spec)
    {
        for (var attempt = 0; ; attempt++)
        {
            var model = TaskModels.Create(Cpu, spec, (ulong)rng.Next(), DType.Float64);
            var examples = TaskFixtures.Examples(rng, spec, 3, 4);
            if (spec.Cell != RnnCellKind.RnnRelu || SmallestReluInput(model, spec, examples) >= RecurrentProblem.ReluMargin) return (model, examples);
            model.Dispose();
            Assert.True(attempt < 100, $"no relu draw with every pre-activation {RecurrentProblem.ReluMargin} from 0 in 100 draws (seed {TestRandom.Seed})");
        }
    }

    private static double SmallestReluInput(TaskModel model, TaskSpec spec, SequenceExample[] examples)
    {
        // The relu cases read features, so the stack's input is the padded feature batch itself.
        Assert.False(spec.TokenInputs, "the relu guard reads feature inputs");
        var rnn = Assert.IsType<SequenceClassifier>(model).Encoder.Rnn;
        var weights = rnn.StateDict().ToDictionary(p => p.Key[(p.Key.LastIndexOf('.') + 1)..], p => p.Value.ToFloat64Array());
        int steps = SequenceBatch.MaxLength(examples), batch = examples.Length;
        var x = SequenceBatch.Features(examples, steps, spec.FeatureSize);
        return NaiveRecurrentReference.Run(rnn.Spec, weights, x, steps, batch, [.. examples.Select(e => e.Length)], null, null).SmallestReluInput;
    }

    [Fact]
    public void TheMeanPoolOfAClassifierAveragesOverEachSequencesOwnSteps()
    {
        // With mean pooling, padding must not change a sequence's result: alone or beside a longer one, the same.
        var rng = TestRandom.Create();
        var spec = TaskFixtures.Spec(TaskKind.Classify) with { Pooling = Pooling.Mean, Bidirectional = true };
        using var model = new SequenceClassifier(Cpu, spec, (ulong)rng.Next(), DType.Float64);
        var examples = TaskFixtures.Examples(rng, spec, 1, 6);
        // The first example always has the full 6 steps (the others a random 1 to 6), so its first two make a shorter one.
        var short1 = examples[0] with { Length = 2, Tokens = examples[0].Tokens![..2] };
        var together = model.Predict([examples[0], short1]);
        var alone = model.Predict([short1]);
        Tolerance.AssertClose(together[1], alone[0], 1e-12, "probabilities of the short sequence");
    }
}
