namespace GpuRnn.Tests.Tasks;

/// <summary>Tiny task specs and random examples for the task tests.</summary>
public static class TaskFixtures
{
    /// <summary>A vocabulary of <paramref name="count"/> made-up tokens (t0, t1, ...), with the specials first.</summary>
    public static Vocabulary Tokens(int count, params string[] specials) =>
        new(specials.Concat(Enumerable.Range(0, count - specials.Length).Select(i => $"t{i}")));

    /// <summary>A tiny spec of <paramref name="task"/>; callers adjust it with <c>with</c>.</summary>
    public static TaskSpec Spec(TaskKind task, RnnCellKind cell = RnnCellKind.Lstm, int hidden = 3, int inputVocabulary = 5, int outputs = 4) => task switch
    {
        TaskKind.Adding => new TaskSpec { Task = task, Cell = cell, HiddenSize = hidden, FeatureSize = 2, Length = 6 },
        TaskKind.CharLm => CharLmTask.Spec(new CharModelSpec(cell, inputVocabulary, 2, hidden)),
        TaskKind.Seq2Seq => new TaskSpec
        {
            Task = task, Cell = cell, HiddenSize = hidden, EmbeddingSize = 2, InputVocabulary = Tokens(inputVocabulary),
            OutputVocabulary = Tokens(outputs, Vocabulary.End), MaxOutputLength = 4,
        },
        TaskKind.Caption => new TaskSpec
        {
            Task = task, Cell = cell, HiddenSize = hidden, EmbeddingSize = 2, FeatureSize = 3,
            OutputVocabulary = Tokens(outputs, Vocabulary.End), MaxOutputLength = 4,
        },
        _ => new TaskSpec
        {
            Task = task, Cell = cell, HiddenSize = hidden, EmbeddingSize = 2, InputVocabulary = Tokens(inputVocabulary),
            OutputVocabulary = Tokens(outputs),
        },
    };

    /// <summary>Random examples fitting <paramref name="spec"/>, of lengths in [1, maxLength] (the first has maxLength; caption: one vector each).</summary>
    public static SequenceExample[] Examples(Random rng, TaskSpec spec, int count, int maxLength)
    {
        var examples = new SequenceExample[count];
        for (var i = 0; i < count; i++)
        {
            var n = spec.Task == TaskKind.Caption ? 1 : i == 0 ? maxLength : rng.Next(1, maxLength + 1);
            var k = spec.OutputSize;
            examples[i] = new SequenceExample
            {
                Length = n,
                Tokens = spec.TokenInputs ? Enumerable.Range(0, n).Select(_ => rng.Next(spec.InputVocabulary!.Count)).ToArray() : null,
                Features = spec.TokenInputs ? null : TestRandom.Uniform(rng, n * spec.FeatureSize),
                Label = rng.Next(k),
                Value = rng.NextDouble() * 2,
                // A step in five is not scored, as padding or a position without a target.
                Targets = Enumerable.Range(0, n).Select(t => t > 0 && rng.Next(5) == 0 ? -1 : rng.Next(k)).ToArray(),
                Output = Enumerable.Range(0, rng.Next(0, 3)).Select(_ => rng.Next(1, k)).ToArray(),
            };
        }
        return examples;
    }
}
