using Xunit;

namespace GpuRnn.Tests.Tasks;

/// <summary>Entity-level F1 of BIO tags against counts worked out by hand, with conlleval's reading of stray I- tags.</summary>
public class EntityScoreTests
{
    private static string[] T(string tags) => tags.Split(' ');

    [Fact]
    public void EntitiesStartAtBOrAtAnIThatDoesNotContinueItsType()
    {
        Assert.Equal([new Entity("PER", 0, 2), new Entity("LOC", 3, 4)], EntityScore.Entities(T("B-PER I-PER O B-LOC")));
        // I-LOC after O starts an entity; I-ORG after a PER starts another; B-PER right after a PER splits it.
        Assert.Equal([new Entity("LOC", 1, 2), new Entity("PER", 2, 3), new Entity("ORG", 3, 5), new Entity("PER", 5, 6), new Entity("PER", 6, 7)],
            EntityScore.Entities(T("O I-LOC B-PER I-ORG I-ORG B-PER B-PER")));
        Assert.Empty(EntityScore.Entities(T("O O")));
    }

    [Fact]
    public void PrecisionRecallAndF1CountOnlyExactMatchesOfTypeAndSpan()
    {
        // Truth: PER[0,2), LOC[3,4), ORG[5,7). Predicted: PER[0,2) right, LOC[3,5) wrong span, ORG[6,7) wrong span, MISC[7,8) spurious.
        var counts = EntityScore.Score(T("B-PER I-PER O B-LOC I-LOC O B-ORG B-MISC"), T("B-PER I-PER O B-LOC O B-ORG I-ORG O"));
        Assert.Equal(new EntityCounts(1, 4, 3), counts);
        Assert.Equal(0.25, counts.Precision);
        Assert.Equal(1.0 / 3, counts.Recall, 1e-15);
        Assert.Equal(2.0 / 7, counts.F1, 1e-15);
        // A type error on the right span counts as a miss and a false alarm.
        Assert.Equal(new EntityCounts(0, 1, 1), EntityScore.Score(T("B-LOC O"), T("B-PER O")));
        var total = counts + EntityScore.Score(T("B-LOC"), T("B-LOC"));
        Assert.Equal(2.0 * 2 / 9, total.F1, 1e-15);
        Assert.Equal(1, new EntityCounts(0, 0, 0).F1);
    }

    [Fact]
    public void OnlyTagSetsOfOBAndIAreRead()
    {
        Assert.True(EntityScore.IsBio(["O", "B-PER", "I-PER"]));
        Assert.False(EntityScore.IsBio(["NN", "VB"]));
        Assert.False(EntityScore.IsBio(["O", "B-"]));
    }
}
