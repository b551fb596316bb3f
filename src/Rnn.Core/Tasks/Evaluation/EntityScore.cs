namespace GpuRnn.Tasks;

/// <summary>An entity (chunk) of a BIO-tagged sentence: its type and the tokens [Start, End) it spans.</summary>
/// <param name="Type">The entity type, e.g. <c>PER</c>.</param>
/// <param name="Start">Its first token.</param>
/// <param name="End">One past its last token.</param>
public readonly record struct Entity(string Type, int Start, int End);

/// <summary>Precision, recall and F1 of predicted entities against the true ones.</summary>
/// <param name="TruePositives">Predicted entities that are exactly a true entity (same type, same span).</param>
/// <param name="Predicted">Entities predicted.</param>
/// <param name="Actual">True entities.</param>
public readonly record struct EntityCounts(long TruePositives, long Predicted, long Actual)
{
    /// <summary>TP / predicted (1 when nothing was predicted and nothing was there).</summary>
    public double Precision => Predicted == 0 ? (Actual == 0 ? 1 : 0) : (double)TruePositives / Predicted;

    /// <summary>TP / actual (1 when there was nothing to find).</summary>
    public double Recall => Actual == 0 ? 1 : (double)TruePositives / Actual;

    /// <summary>The harmonic mean of precision and recall, 2 TP / (predicted + actual).</summary>
    public double F1 => Predicted + Actual == 0 ? 1 : 2.0 * TruePositives / (Predicted + Actual);

    /// <summary>Both counts together.</summary>
    public static EntityCounts operator +(EntityCounts a, EntityCounts b) =>
        new(a.TruePositives + b.TruePositives, a.Predicted + b.Predicted, a.Actual + b.Actual);
}

/// <summary>
/// Entity-level scoring of BIO tags as the CoNLL shared tasks' <c>conlleval</c> does: an entity
/// starts at B-X, or at I-X that does not continue an entity of type X (after O, or after another
/// type); it goes on over following I-X tags; a predicted entity counts only when its type and both
/// its ends equal a true entity's.
/// </summary>
public static class EntityScore
{
    /// <summary>Whether every tag is <c>O</c>, <c>B-type</c> or <c>I-type</c>, so that entities can be read from them.</summary>
    public static bool IsBio(IEnumerable<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        return tags.All(t => t == "O" || (t.Length > 2 && (t.StartsWith("B-", StringComparison.Ordinal) || t.StartsWith("I-", StringComparison.Ordinal))));
    }

    /// <summary>The entities of one sentence's tags.</summary>
    public static List<Entity> Entities(IReadOnlyList<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var entities = new List<Entity>();
        string? type = null;
        var start = 0;
        for (var i = 0; i <= tags.Count; i++)
        {
            var tag = i < tags.Count ? tags[i] : "O";
            var prefix = tag.Length > 2 && tag[1] == '-' ? tag[0] : 'O';
            var tagType = prefix == 'O' ? null : tag[2..];
            var continues = prefix == 'I' && tagType == type;
            if (type is not null && !continues)
            {
                entities.Add(new Entity(type, start, i));
                type = null;
            }
            if (prefix is 'B' or 'I' && !continues)
            {
                type = tagType;
                start = i;
            }
        }
        return entities;
    }

    /// <summary>Counts for one sentence: predicted tags against true tags (same length).</summary>
    public static EntityCounts Score(IReadOnlyList<string> predicted, IReadOnlyList<string> actual)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(actual);
        if (predicted.Count != actual.Count) throw new ArgumentException($"{predicted.Count} predicted tags for {actual.Count} tokens");
        var truth = Entities(actual).ToHashSet();
        var guesses = Entities(predicted);
        return new EntityCounts(guesses.Count(truth.Contains), guesses.Count, truth.Count);
    }
}
