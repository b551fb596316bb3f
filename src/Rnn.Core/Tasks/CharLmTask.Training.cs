namespace GpuRnn.Tasks;

// The character model's defaults and text of a training run: a text counted in characters, the
// architecture in the character model's own terms, and after training the comparisons with a
// model that ignores context (and on the arithmetic corpus a perfect one), a sample and, on that
// corpus, whether the model completes new statements correctly.
public sealed partial class CharLmTask
{
    /// <summary>Questions of the arithmetic check after training on the built-in corpus.</summary>
    private const int QuizQuestions = 100, QuizShown = 6;

    /// <summary>Seed of the arithmetic check's statements (not the corpus's, so they are new to the model).</summary>
    private const ulong QuizSeed = 2024;

    /// <inheritdoc/>
    public override int DefaultWindow => 64;

    /// <inheritdoc/>
    public override int DefaultEvalEvery => 250;

    /// <summary>The optimizer's own default (0.005 for Adam and AdamW, 0.002 RMSprop, 1 SGD).</summary>
    public override double DefaultLearningRateOf(OptimizerKind optimizer) => new OptimizerConfig(optimizer).DefaultLearningRate;

    /// <inheritdoc/>
    public override string DescribeData(TaskSpec spec, TaskData data)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = Text(data);
        return I($"{data.Name}: {text.Train.Length + text.ValidationIds.Length:N0} characters ({text.Train.Length:N0} train, {text.ValidationIds.Length:N0} validation), {spec.OutputSize} distinct");
    }

    /// <summary>The architecture as <see cref="CharModelSpec.ToString"/> writes it, with its parameter count.</summary>
    public override string DescribeModel(TaskSpec spec) => Architecture(spec).ToString();

    /// <summary>None: <see cref="DescribeModel"/> counts the parameters.</summary>
    public override string? DescribeParameters(long count) => null;

    /// <inheritdoc/>
    public override string DescribeBatch(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return I($"{options.Batch} x {options.SequenceLength} characters");
    }

    /// <inheritdoc/>
    public override string PlotTitle(TaskSpec spec, string dataName) => $"{ModelTitle(spec)} on {Path.GetFileName(dataName)}";

    /// <summary>
    /// The last validation of the whole validation text (measured now if the run made none), and for
    /// comparison the unigram entropy of the training text and, on the arithmetic corpus, the entropy
    /// of a perfect model.
    /// </summary>
    public override TaskReport EvaluateTrained(Trainer trainer, int beam)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var text = Text(trainer.Data);
        var validation = (trainer.LastEvaluation ?? trainer.EvaluateNow()).Validation;
        var details = new List<string>
        {
            I($"for comparison, the unigram entropy of the text is {UnigramBits(text.Train, trainer.Model.Spec.OutputSize):F3} bits/char (a model that ignores context)"),
        };
        if (text.Name == ArithmeticCorpus.Name)
            details.Add(I($"and a perfect model needs {ArithmeticCorpus.EntropyBitsPerCharacter():F3} bits/char on it (the operands are random; the answers are not)"));
        return new TaskReport(validation, Describe(trainer.Model.Spec, validation), details, validation.BitsPerCharacter);
    }

    /// <summary>A sample of the model (unless its length is 0) and, on the arithmetic corpus, the arithmetic check.</summary>
    public override IEnumerable<string> AfterTraining(TaskModel model, TaskData data, TrainingSummaryOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var charModel = (CharRnnModel)model;
        var characters = Characters(model.Spec);
        var lines = new List<string>();
        if (options.SampleLength > 0)
        {
            var sample = Sampler.Generate(charModel, characters, "", options.SampleLength, new SamplingOptions(options.Temperature, 0, options.Seed));
            lines.Add(I($"sample (temperature {options.Temperature}):"));
            lines.Add(sample.TrimEnd('\n'));
        }
        if (data.Name == ArithmeticCorpus.Name)
        {
            var quiz = ArithmeticQuiz.Run(charModel, characters, QuizQuestions, QuizSeed);
            var right = quiz.Count(q => q.Correct);
            lines.Add($"arithmetic check: {right} of {quiz.Count} new statements completed correctly, e.g. "
                + string.Join(", ", quiz.Take(QuizShown).Select(q => $"{q.Question}{q.Answer} {(q.Correct ? "(right)" : "(wrong)")}")));
        }
        return lines;
    }

    private static StreamTaskData Text(TaskData data) =>
        data as StreamTaskData ?? throw new ArgumentException($"a character model trains on a text read as streams, not on {data?.GetType().Name ?? "null"}");

    /// <summary>Entropy in bits of the characters' frequencies in <paramref name="tokens"/>.</summary>
    private static double UnigramBits(int[] tokens, int vocabulary)
    {
        var counts = new long[vocabulary];
        foreach (var t in tokens) counts[t]++;
        var bits = 0.0;
        foreach (var c in counts)
        {
            if (c == 0) continue;
            var p = (double)c / tokens.Length;
            bits -= p * Math.Log2(p);
        }
        return bits;
    }
}
