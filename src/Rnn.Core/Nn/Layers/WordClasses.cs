namespace GpuRnn.Nn;

/// <summary>
/// The frequency classes of a class-based softmax: every output id belongs to one class, and each
/// class is a range of consecutive ids, so its rows of the output weights are one contiguous block.
/// </summary>
public sealed class WordClasses
{
    private readonly int[] _classOf;
    private readonly int[] _start;

    private WordClasses(int[] classOf, int[] start)
    {
        _classOf = classOf;
        _start = start;
    }

    /// <summary>Number of outputs, V.</summary>
    public int Vocabulary => _classOf.Length;

    /// <summary>Number of classes, C.</summary>
    public int Count => _start.Length - 1;

    /// <summary>The class of every id [V].</summary>
    public IReadOnlyList<int> ClassOf => _classOf;

    /// <summary>The first id of class <paramref name="c"/>.</summary>
    public int Start(int c) => _start[c];

    /// <summary>How many ids class <paramref name="c"/> holds.</summary>
    public int Size(int c) => _start[c + 1] - _start[c];

    /// <summary>About sqrt(V) classes, Mikolov et al.'s choice of cost against quality.</summary>
    public static int DefaultCount(int vocabulary) => Math.Max(1, (int)Math.Round(Math.Sqrt(vocabulary)));

    /// <summary>
    /// Frequency binning (Mikolov et al. 2011): walking the ids in order (most frequent first, as
    /// <see cref="Vocabulary.Build"/> orders them), an id goes to the current class, and the class
    /// closes once the ids so far hold its share, (c + 1) / C, of all occurrences. Frequent words get
    /// small classes and rare words share large ones, so every class covers about 1/C of the text.
    /// A very frequent word can fill more than one share, so there may be fewer than C classes.
    /// </summary>
    /// <param name="counts">Occurrences of every id [V] in the training text.</param>
    /// <param name="classes">Classes wanted, C (at most V).</param>
    public static WordClasses FromFrequencies(IReadOnlyList<long> counts, int classes)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var v = counts.Count;
        if (v == 0) throw new ArgumentException("word classes need at least one word");
        if (classes < 1 || classes > v) throw new ArgumentException($"the number of classes must be in [1, {v}] (the vocabulary size), got {classes}");
        double total = 0;
        foreach (var n in counts)
        {
            if (n < 0) throw new ArgumentException($"a word count is negative ({n})");
            total += n;
        }
        var classOf = new int[v];
        double cumulative = 0;
        var c = 0;
        for (var w = 0; w < v; w++)
        {
            classOf[w] = c;
            cumulative += total > 0 ? counts[w] / total : 1.0 / v;
            // Leave enough ids for the classes still to come to be non-empty only when the shares ask for it.
            if (cumulative > (c + 1.0) / classes && c < classes - 1 && w < v - 1) c++;
        }
        return FromClassOf(classOf, v);
    }

    /// <summary>Checks and adopts a class per id (how checkpoints store them).</summary>
    /// <exception cref="ArgumentException">Not one class per id, or the classes are not consecutive ranges 0, 1, ... of consecutive ids.</exception>
    public static WordClasses FromClassOf(IReadOnlyList<int> classOf, int vocabulary)
    {
        ArgumentNullException.ThrowIfNull(classOf);
        if (classOf.Count != vocabulary)
            throw new ArgumentException($"word classes give {classOf.Count} classes for a vocabulary of {vocabulary}");
        if (vocabulary == 0 || classOf[0] != 0) throw new ArgumentException("word classes must start with class 0 at id 0");
        var starts = new List<int> { 0 };
        for (var w = 1; w < vocabulary; w++)
        {
            var step = classOf[w] - classOf[w - 1];
            if (step is not (0 or 1))
                throw new ArgumentException($"word classes must be ranges of consecutive ids numbered 0, 1, ...: id {w} has class {classOf[w]} after class {classOf[w - 1]}");
            if (step == 1) starts.Add(w);
        }
        starts.Add(vocabulary);
        return new WordClasses([.. classOf], [.. starts]);
    }
}
