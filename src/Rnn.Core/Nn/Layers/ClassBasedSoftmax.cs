namespace GpuRnn.Nn;

/// <summary>
/// Class-based softmax (Mikolov et al. 2011, "Extensions of recurrent neural network language
/// model"): words are grouped into frequency classes and p(w | h) = p(c(w) | h) * p(w | c(w), h),
/// a softmax over the C classes times a softmax over the words of w's class only. Training a row
/// costs C + |c(w)| outputs instead of V, about 2 sqrt(V) with sqrt(V) classes.
/// </summary>
/// <remarks>
/// Parameters: <c>{name}.classes.weight</c> [C, H] and <c>.bias</c> [C]; <c>{name}.words.weight</c>
/// [V, H] and <c>.bias</c> [V], where class c owns the consecutive rows [start_c, start_c + |c|).
/// A batch is computed by composing backend operations: one GEMM for the class logits of every
/// row; the rows gathered into class order (an embedding lookup whose table is the hidden
/// states); per class present, one GEMM against that class's block of word weights and one
/// softmax cross-entropy; the backward mirrors it and scatters the rows' gradients back (the
/// embedding gradient, summed in a fixed order).
/// </remarks>
public sealed class ClassBasedSoftmax : Module, ISoftmaxHead
{
    private readonly IBackend _backend;

    /// <summary>Creates the layer named <paramref name="name"/> over <paramref name="classes"/> (whose vocabulary is V).</summary>
    public ClassBasedSoftmax(IBackend backend, int inputSize, WordClasses classes, DType dtype, string name, ulong seed) : base(name)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(classes);
        _backend = backend;
        Classes = classes;
        ClassLayer = RegisterModule("classes", new Linear(backend, inputSize, classes.Count, dtype, CounterRng.Hash(seed, 1)));
        WordLayer = RegisterModule("words", new Linear(backend, inputSize, classes.Vocabulary, dtype, CounterRng.Hash(seed, 2)));
    }

    /// <summary>The classes of the outputs.</summary>
    public WordClasses Classes { get; }

    /// <summary>The class logits: weight [C, H], bias [C].</summary>
    public Linear ClassLayer { get; }

    /// <summary>The word logits: weight [V, H], bias [V] (each class uses its own rows).</summary>
    public Linear WordLayer { get; }

    /// <inheritdoc/>
    public int InputSize => ClassLayer.InputSize;

    /// <inheritdoc/>
    public int OutputSize => Classes.Vocabulary;

    /// <inheritdoc/>
    public LossStats Loss(Tensor hidden, ReadOnlySpan<int> targets, Tensor? dHidden, int counted)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        int n = targets.Length, h = InputSize, classCount = Classes.Count;
        if (hidden.ElementCount != (long)n * h)
            throw new ArgumentException($"hidden has shape {hidden.Shape} but {n} rows of {h} were expected");
        if (dHidden is not null && counted <= 0) throw new ArgumentException($"a mean over {counted} rows has no gradient; at least one target must be scored");
        var training = dHidden is not null;
        var dtype = hidden.DType;
        using var rows = hidden.Reshape(new Shape(n, h));

        // Host bookkeeping: each scored row's class, and the rows sorted by class (stable).
        var classTargets = new int[n];
        var perClass = new int[classCount + 1];
        for (var r = 0; r < n; r++)
        {
            var t = targets[r];
            if (t < -1 || t >= OutputSize) throw new ArgumentException($"target {r} is {t} but targets must be in [0, {OutputSize}) or -1");
            classTargets[r] = t < 0 ? -1 : Classes.ClassOf[t];
            if (t >= 0) perClass[classTargets[r] + 1]++;
        }
        for (var c = 0; c < classCount; c++) perClass[c + 1] += perClass[c];
        var scored = perClass[classCount];
        var order = new int[Math.Max(1, scored)];
        var local = new int[Math.Max(1, scored)];
        var next = perClass[..classCount];
        for (var r = 0; r < n; r++)
        {
            if (targets[r] < 0) continue;
            var c = classTargets[r];
            order[next[c]] = r;
            local[next[c]++] = targets[r] - Classes.Start(c);
        }

        using var stats = _backend.Allocate(new Shape(classCount + 1, 3), dtype);
        _backend.Fill(stats, 0);
        // p(class | h) for every row.
        using var classLogits = _backend.Allocate(new Shape(n, classCount), dtype);
        using var classIds = classTargets.ToDevice(_backend, new Shape(n));
        ClassLayer.Forward(rows, classLogits);
        using (var classStats = stats.Slice(classCount, 1).Reshape(new Shape(3)))
            _backend.SoftmaxCrossEntropy(classLogits, classIds, training ? classLogits : null, training ? 1.0 / counted : 1, classStats);

        double[]? wordLogitsHost = null;
        var offsets = new long[classCount + 1];
        if (scored > 0)
        {
            for (var c = 0; c < classCount; c++) offsets[c + 1] = offsets[c] + (long)(perClass[c + 1] - perClass[c]) * Classes.Size(c);
            using var rowIds = order.ToDevice(_backend, new Shape(scored));
            using var localIds = local.ToDevice(_backend, new Shape(scored));
            using var sorted = _backend.Allocate(new Shape(scored, h), dtype);
            using var dSorted = training ? _backend.Allocate(new Shape(scored, h), dtype) : null;
            using var wordLogits = _backend.Allocate(new Shape(checked((int)offsets[classCount])), dtype);
            // The rows in class order: a lookup whose "table" is the hidden states.
            _backend.EmbeddingForward(rowIds, rows, sorted);
            Parameter words = WordLayer.Weight, wordBias = WordLayer.Bias;
            for (var c = 0; c < classCount; c++)
            {
                int first = perClass[c], count = perClass[c + 1] - first;
                if (count == 0) continue;
                int start = Classes.Start(c), size = Classes.Size(c);
                using var x = sorted.Slice(first, count);
                using var w = words.Value.Slice(start, size);
                using var b = wordBias.Value.Slice(start, size);
                using var logits = wordLogits.Slice((int)offsets[c], count * size).Reshape(new Shape(count, size));
                using var y = localIds.Slice(first, count);
                using var classStats = stats.Slice(c, 1).Reshape(new Shape(3));
                _backend.Gemm(x, false, w, true, logits);
                _backend.AddBias(logits, b);
                _backend.SoftmaxCrossEntropy(logits, y, training ? logits : null, training ? 1.0 / counted : 1, classStats);
                if (!training) continue;
                using var dw = words.Gradient.Slice(start, size);
                using var db = wordBias.Gradient.Slice(start, size);
                using var dx = dSorted!.Slice(first, count);
                _backend.Gemm(logits, true, x, false, dw, beta: 1);
                _backend.SumRows(logits, db, beta: 1);
                _backend.Gemm(logits, false, w, false, dx);
            }
            if (training)
            {
                using var dRows = dHidden!.Reshape(new Shape(n, h));
                ClassLayer.Backward(rows, classLogits, dRows);
                // Each scored row's word gradient goes back to its place (rows are distinct: no sums collide).
                _backend.EmbeddingBackward(rowIds, dSorted!, dRows);
            }
            else wordLogitsHost = HeadMath.Download(wordLogits);
        }
        else if (training)
        {
            using var dRows = dHidden!.Reshape(new Shape(n, h));
            ClassLayer.Backward(rows, classLogits, dRows);
        }

        var s = HeadMath.Download(stats);
        double loss = 0;
        for (var c = 0; c <= classCount; c++) loss += s[c * 3];
        var correct = training ? 0 : CountCorrect(HeadMath.Download(classLogits), wordLogitsHost, classTargets, order, local, perClass, offsets);
        return new LossStats(loss, correct, (long)s[classCount * 3 + 2]);
    }

    /// <summary>Rows whose target's class is the most probable class and the target the most probable word of that class.</summary>
    private int CountCorrect(double[] classLogits, double[]? wordLogits, int[] classTargets, int[] order, int[] local, int[] perClass, long[] offsets)
    {
        if (wordLogits is null) return 0;
        var correct = 0;
        var classCount = Classes.Count;
        for (var c = 0; c < classCount; c++)
        {
            var size = Classes.Size(c);
            for (var i = perClass[c]; i < perClass[c + 1]; i++)
            {
                var r = order[i];
                if (HeadMath.ArgMax(classLogits.AsSpan(r * classCount, classCount)) != classTargets[r]) continue;
                var start = offsets[c] + (long)(i - perClass[c]) * size;
                if (HeadMath.ArgMax(wordLogits.AsSpan((int)start, size)) == local[i]) correct++;
            }
        }
        return correct;
    }

    /// <inheritdoc/>
    public double[] LogProbabilities(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        int h = InputSize, v = OutputSize, classCount = Classes.Count;
        var n = (int)(hidden.ElementCount / h);
        using var rows = hidden.Reshape(new Shape(n, h));
        using var classLogits = _backend.Allocate(new Shape(n, classCount), hidden.DType);
        using var wordLogits = _backend.Allocate(new Shape(n, v), hidden.DType);
        ClassLayer.Forward(rows, classLogits);
        WordLayer.Forward(rows, wordLogits);
        var classLog = HeadMath.Download(classLogits);
        HeadMath.LogSoftmaxRows(classLog, n, classCount);
        var result = HeadMath.Download(wordLogits);
        for (var r = 0; r < n; r++)
            for (var c = 0; c < classCount; c++)
            {
                var block = result.AsSpan(r * v + Classes.Start(c), Classes.Size(c));
                TokenSampler.LogSoftmax(block, block);
                for (var j = 0; j < block.Length; j++) block[j] += classLog[r * classCount + c];
            }
        return result;
    }
}
