using Xunit;

namespace GpuRnn.Tests.Ops;

/// <summary>Embedding lookup (with -1 padding) and its gradient (repeated ids summed, padding ignored).</summary>
public class EmbeddingTests
{
    public static TheoryData<string, DType> Cases => OpCases.NamesAndTypes;

    private const int Vocab = 7;
    private const int Width = 5;

    [Theory, MemberData(nameof(Cases))]
    public void ForwardCopiesTheRowOfEachIdAndZeroesPaddingRows(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        var ids = RandomIds(rng, 12);
        var (table, tv) = OpCases.Random(backend, rng, new Shape(Vocab, Width), dtype);
        using var _ = table;
        using var idTensor = ids.ToDevice(backend, new Shape(4, 3));
        // Any output shape of N * E elements is accepted: here the time-major [T, B, E] of a batch.
        using var output = backend.Allocate(new Shape(4, 3, Width), dtype);
        backend.Fill(output, double.NaN);
        backend.EmbeddingForward(idTensor, table, output);

        var expected = new double[ids.Length * Width];
        for (var n = 0; n < ids.Length; n++)
            for (var e = 0; e < Width; e++) expected[n * Width + e] = ids[n] < 0 ? 0 : tv[ids[n] * Width + e];
        OpCases.AssertIdentical(output.ToFloat64Array(), expected, $"embedding of ids [{string.Join(", ", ids)}]");
    }

    [Theory, MemberData(nameof(Cases))]
    public void BackwardAccumulatesEveryOccurrenceOfAnIdAndIgnoresPadding(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        var ids = RandomIds(rng, 12);
        var (dOutput, dv) = OpCases.Random(backend, rng, new Shape(12, Width), dtype);
        var (dTable, previous) = OpCases.Random(backend, rng, new Shape(Vocab, Width), dtype);
        using var _ = dOutput;
        using var __ = dTable;
        using var idTensor = ids.ToDevice(backend, new Shape(12));
        backend.EmbeddingBackward(idTensor, dOutput, dTable);

        var expected = (double[])previous.Clone();
        var terms = Array.ConvertAll(previous, Math.Abs);
        for (var n = 0; n < ids.Length; n++)
        {
            if (ids[n] < 0) continue;
            for (var e = 0; e < Width; e++)
            {
                expected[ids[n] * Width + e] += dv[n * Width + e];
                terms[ids[n] * Width + e] += Math.Abs(dv[n * Width + e]);
            }
        }
        OpCases.AssertSumClose(dTable.ToFloat64Array(), expected, terms, OpCases.ForwardTolerance(dtype),
            $"embedding gradient of ids [{string.Join(", ", ids)}] added to the previous gradient");
    }

    [Theory, MemberData(nameof(Cases))]
    public void IdsOutsideTheVocabularyAreRefusedNamingTheIdAndTheRange(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        using var table = backend.Allocate(new Shape(Vocab, Width), dtype);
        using var output = backend.Allocate(new Shape(3, Width), dtype);
        foreach (var bad in new[] { Vocab, -2 })
        {
            using var ids = new[] { 0, bad, 1 }.ToDevice(backend, new Shape(3));
            var forward = Assert.ThrowsAny<ArgumentException>(() => backend.EmbeddingForward(ids, table, output));
            Assert.Contains(bad.ToString(System.Globalization.CultureInfo.InvariantCulture), forward.Message);
            Assert.Contains($"[0, {Vocab})", forward.Message);
            var backward = Assert.ThrowsAny<ArgumentException>(() => backend.EmbeddingBackward(ids, output, table));
            Assert.Contains($"[0, {Vocab})", backward.Message);
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void AnOutputOfTheWrongSizeOrFloatIdsAreRefused(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        using var table = backend.Allocate(new Shape(Vocab, Width), dtype);
        using var ids = new[] { 0, 1, 2 }.ToDevice(backend, new Shape(3));
        using var shortOutput = backend.Allocate(new Shape(2, Width), dtype);
        var size = Assert.ThrowsAny<ArgumentException>(() => backend.EmbeddingForward(ids, table, shortOutput));
        Assert.Contains("[2, 5]", size.Message);
        Assert.Contains("15", size.Message);

        using var floatIds = backend.Allocate(new Shape(3), dtype);
        using var output = backend.Allocate(new Shape(3, Width), dtype);
        var type = Assert.ThrowsAny<ArgumentException>(() => backend.EmbeddingForward(floatIds, table, output));
        Assert.Contains("int32", type.Message);
    }

    /// <summary>Ids with at least one padding entry and at least one id repeated.</summary>
    private static int[] RandomIds(Random rng, int count)
    {
        var ids = new int[count];
        for (var i = 0; i < count; i++) ids[i] = rng.Next(-1, Vocab);
        ids[rng.Next(count / 2)] = -1;
        var repeated = rng.Next(Vocab);
        ids[count / 2] = repeated;
        ids[count - 1] = repeated;
        return ids;
    }
}
