using Xunit;

namespace GpuRnn.Tests.Ops;

/// <summary>
/// Inverted dropout from the counter-based generator: mask values, the kept fraction, and masks
/// that are a pure function of (seed, offset + index).
/// </summary>
public class DropoutTests
{
    public static TheoryData<string, DType> Cases => OpCases.NamesAndTypes;

    [Theory, MemberData(nameof(Cases))]
    public void MaskIsZeroOrOneOverKeepProbabilityAsTheCounterRngDecidesAndYIsXTimesMask(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        const double p = 0.3;
        var seed = (ulong)rng.NextInt64();
        var offset = (ulong)rng.Next(1 << 20);
        var (x, xv) = OpCases.Random(backend, rng, new Shape(4, 37), dtype);
        using var _ = x;
        using var y = backend.Allocate(x.Shape, dtype);
        using var mask = backend.Allocate(x.Shape, dtype);
        backend.DropoutForward(x, y, mask, p, seed, offset);

        var m = mask.ToFloat64Array();
        var yv = y.ToFloat64Array();
        var scale = OpCases.Rounded([1 / (1 - p)], dtype)[0];
        for (var i = 0; i < m.Length; i++)
        {
            // The contract compares in float32 so every backend draws the same mask.
            var kept = CounterRng.Uniform(seed, offset + (ulong)i) >= (float)p;
            if (kept) Assert.True(Math.Abs(m[i] - scale) <= 2 * Ulp(scale, dtype), $"mask[{i}] is {m[i]:R}, expected 1/(1-p) = {scale:R} (seed {TestRandom.Seed})");
            else Assert.True(m[i] == 0, $"mask[{i}] is {m[i]:R}, expected 0 (seed {TestRandom.Seed})");
            Assert.True(yv[i] == OpCases.Rounded([xv[i] * m[i]], dtype)[0], $"y[{i}] is {yv[i]:R} but x * mask is {xv[i] * m[i]:R} (seed {TestRandom.Seed})");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void TheKeptFractionOfALargeTensorIsNearOneMinusP(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        const int n = 200_000;
        foreach (var p in new[] { 0.1, 0.5 })
        {
            using var x = backend.Allocate(new Shape(n), dtype);
            using var y = backend.Allocate(new Shape(n), dtype);
            using var mask = backend.Allocate(new Shape(n), dtype);
            backend.Fill(x, 1);
            backend.DropoutForward(x, y, mask, p, (ulong)rng.NextInt64(), (ulong)rng.Next());
            var kept = 0;
            foreach (var v in mask.ToFloat64Array()) if (v != 0) kept++;
            // The standard deviation of the fraction is sqrt(p (1 - p) / n) <= 0.0012; 0.01 is over 8 of them.
            var fraction = (double)kept / n;
            Assert.True(Math.Abs(fraction - (1 - p)) < 0.01, $"kept fraction {fraction} at p = {p}, expected near {1 - p} (seed {TestRandom.Seed})");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void TheSameSeedAndOffsetGiveTheSameMaskAndAShiftedOffsetShiftsIt(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        var seed = (ulong)rng.NextInt64();
        var offset = (ulong)rng.Next(1 << 20);
        const int n = 500, shift = 17;
        var first = Mask(backend, dtype, n, seed, offset);
        var again = Mask(backend, dtype, n, seed, offset);
        var shifted = Mask(backend, dtype, n, seed, offset + shift);
        var otherSeed = Mask(backend, dtype, n, seed ^ 0x5DEECE66DUL, offset);

        OpCases.AssertIdentical(again, first, "mask drawn twice with the same seed and offset");
        // Element i at offset + 17 is element i + 17 at offset: the counter is offset + index.
        OpCases.AssertIdentical(shifted.AsSpan(0, n - shift), first.AsSpan(shift), "mask at an offset 17 further");
        Assert.False(shifted.AsSpan().SequenceEqual(first), "a different offset gave the same mask");
        Assert.False(otherSeed.AsSpan().SequenceEqual(first), "a different seed gave the same mask");
    }

    [Theory, MemberData(nameof(Cases))]
    public void ZeroProbabilityKeepsEverythingAndProbabilitiesOutsideZeroToOneAreRefused(string backendName, DType dtype)
    {
        var backend = OpCases.Backend(backendName, dtype);
        var rng = TestRandom.Create();
        var (x, xv) = OpCases.Random(backend, rng, new Shape(41), dtype);
        using var _ = x;
        using var y = backend.Allocate(x.Shape, dtype);
        using var mask = backend.Allocate(x.Shape, dtype);
        backend.DropoutForward(x, y, mask, 0, 1, 0);
        OpCases.AssertIdentical(y.ToFloat64Array(), xv, "dropout with p = 0");
        foreach (var p in new[] { 1.0, -0.1 })
        {
            var e = Assert.ThrowsAny<ArgumentException>(() => backend.DropoutForward(x, y, mask, p, 1, 0));
            Assert.Contains(p.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
        }
    }

    private static double[] Mask(IBackend backend, DType dtype, int n, ulong seed, ulong offset)
    {
        using var x = backend.Allocate(new Shape(n), dtype);
        using var y = backend.Allocate(new Shape(n), dtype);
        using var mask = backend.Allocate(new Shape(n), dtype);
        backend.Fill(x, 1);
        backend.DropoutForward(x, y, mask, 0.5, seed, offset);
        return mask.ToFloat64Array();
    }

    private static double Ulp(double value, DType dtype) =>
        dtype == DType.Float32 ? MathF.BitIncrement((float)value) - (float)value : Math.BitIncrement(value) - value;
}
