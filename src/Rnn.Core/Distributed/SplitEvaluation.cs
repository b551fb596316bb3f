namespace GpuRnn.Distributed;

/// <summary>
/// A task model's evaluation split between the ranks of a job so that every rank ends with one
/// process's result, bit for bit. The loss is computed over the very batches one process makes
/// (batch <c>b</c> of <see cref="TaskModel.Batches"/> on rank <c>b mod P</c>); the per-batch sums
/// are shared and added in batch order, as one process adds them. The per-example outputs that a
/// task judges (labels, tags, decoded tokens) are computed in blocks of <see cref="Block"/>
/// examples, block <c>k</c> on rank <c>k mod P</c>, and shared, so the task's metric (accuracy,
/// entity F1, exact match, BLEU from its n-gram counts) is computed from the same outputs as in one
/// process. Every method is a collective: every rank calls it with the same examples.
/// </summary>
public static class SplitEvaluation
{
    /// <summary>
    /// Examples per block of outputs: a multiple of every chunk the models' prediction methods take
    /// (classifier and greedy decoding 64, tagger 32), so a block starting at a multiple of it is
    /// cut into the same chunks as the whole list, and its outputs are those of one process.
    /// </summary>
    public const int Block = 64;

    /// <summary>
    /// The summed loss statistics of <paramref name="model"/> over <paramref name="examples"/> in
    /// batches of <paramref name="batch"/> (<see cref="TaskModel.Evaluate"/>'s result) and, per
    /// example, <paramref name="compute"/>'s outputs over the whole list (or null when it has none),
    /// the batches and the blocks spread over the ranks. <paramref name="compute"/> must give the
    /// same outputs for a block as for the whole list's examples of the block (true of chunked
    /// prediction whose chunk divides <see cref="Block"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">The ranks were given different examples.</exception>
    public static (LossStats Loss, int[][]? Outputs) Evaluate(TaskModel model, IReadOnlyList<SequenceExample> examples, int batch,
        ICommunicator? communicator, Func<IReadOnlyList<SequenceExample>, int[][]?> compute)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(compute);
        if (communicator is null || communicator.Size == 1) return (model.Evaluate(examples, batch), compute(examples));
        if (batch <= 0) throw new ArgumentException($"batch size must be positive, got {batch}");
        CheckSameExamples(examples, communicator);
        return (Loss(model, examples, batch, communicator), Outputs(examples, communicator, compute));
    }

    // The very batches of TaskModel.Evaluate, batch b on rank b mod P.
    private static LossStats Loss(TaskModel model, IReadOnlyList<SequenceExample> examples, int batch, ICommunicator communicator)
    {
        var (rank, size) = (communicator.Rank, communicator.Size);
        var batches = (examples.Count + batch - 1) / batch;
        // [batches, 3]: loss sum, correct, count; zero where another rank computes the batch, and
        // x + 0 is x, so the rank-order sum hands every rank each batch's own bits.
        var sums = new double[checked(batches * 3)];
        var b = 0;
        foreach (var chunk in TaskModel.Batches(examples, batch))
        {
            if (b % size == rank)
            {
                var stats = model.EvaluateBatch(chunk);
                (sums[3 * b], sums[3 * b + 1], sums[3 * b + 2]) = (stats.LossSum, stats.Correct, stats.Count);
            }
            b++;
        }
        communicator.SumInPlace(sums);
        var total = default(LossStats);
        for (var j = 0; j < batches; j++) total += new LossStats(sums[3 * j], sums[3 * j + 1], (long)sums[3 * j + 2]);
        return total;
    }

    // Block k of Block examples on rank k mod P, then shared.
    private static int[][]? Outputs(IReadOnlyList<SequenceExample> examples, ICommunicator communicator, Func<IReadOnlyList<SequenceExample>, int[][]?> compute)
    {
        var (rank, size, n) = (communicator.Rank, communicator.Size, examples.Count);
        var mine = new int[n][];
        var any = 0.0;
        var k = 0;
        foreach (var block in TaskModel.Batches(examples, Block))
        {
            if (k++ % size != rank) continue;
            var outputs = compute(block);
            if (outputs is null) continue;
            if (outputs.Length != block.Count)
                throw new InvalidOperationException($"the task gave {outputs.Length} outputs for {block.Count} examples");
            any = 1;
            outputs.CopyTo(mine, (k - 1) * Block);
        }
        // Rank 0 always holds block 0, so the sum is positive exactly when the task has outputs.
        var flag = new[] { any };
        communicator.SumInPlace(flag);
        if (flag[0] == 0) return null;

        // The lengths first, then the tokens; every value is an integer below 2^31, exact in a double.
        var lengths = new double[n];
        for (var i = 0; i < n; i++) lengths[i] = mine[i]?.Length ?? 0;
        communicator.SumInPlace(lengths);
        var offsets = new long[n + 1];
        for (var i = 0; i < n; i++) offsets[i + 1] = offsets[i] + (long)lengths[i];
        if (offsets[n] > Array.MaxLength) throw new InvalidOperationException($"{offsets[n]} output tokens are too many for one host buffer");
        var tokens = new double[offsets[n]];
        for (var i = 0; i < n; i++)
            if (mine[i] is { } own)
                for (var t = 0; t < own.Length; t++) tokens[offsets[i] + t] = own[t];
        communicator.SumInPlace(tokens);
        var result = new int[n][];
        for (var i = 0; i < n; i++)
        {
            result[i] = new int[(int)lengths[i]];
            for (var t = 0; t < result[i].Length; t++) result[i][t] = (int)tokens[offsets[i] + t];
        }
        return result;
    }

    // Ranks that read different files (another copy on another machine) would split examples that do
    // not line up; a checksum of what every rank holds catches it before any work.
    private static void CheckSameExamples(IReadOnlyList<SequenceExample> examples, ICommunicator communicator)
    {
        var all = new ulong[communicator.Size];
        communicator.Allgather<ulong>([Checksum(examples)], all);
        for (var r = 1; r < all.Length; r++)
            if (all[r] != all[0])
                throw new InvalidDataException($"rank {r} holds other examples to evaluate than rank 0 (their checksums differ); give every rank the same data file");
    }

    private static ulong Checksum(IReadOnlyList<SequenceExample> examples)
    {
        // FNV-1a over what the evaluation reads of each example.
        var hash = 14695981039346656037UL;
        void Add(long value) => hash = (hash ^ (ulong)value) * 1099511628211UL;
        Add(examples.Count);
        foreach (var e in examples)
        {
            Add(e.Length);
            Add(e.Label);
            Add(BitConverter.DoubleToInt64Bits(e.Value));
            foreach (var id in e.Tokens ?? []) Add(id);
            foreach (var id in e.Targets ?? []) Add(id);
            foreach (var id in e.Output ?? []) Add(id);
            foreach (var f in e.Features ?? []) Add(BitConverter.DoubleToInt64Bits(f));
        }
        return hash;
    }
}
