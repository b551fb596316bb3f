using Xunit;

namespace GpuRnn.Tests.Core;

public class ShapeTests
{
    [Fact]
    public void ElementCountIsTheProductOfDimensionsAndAScalarHasOne()
    {
        var rng = TestRandom.Create();
        int a = rng.Next(1, 9), b = rng.Next(1, 9), c = rng.Next(1, 9);
        Assert.Equal(a * b * c, new Shape(a, b, c).ElementCount);
        Assert.Equal(1, new Shape().ElementCount);
        Assert.Equal($"[{a}, {b}, {c}]", new Shape(a, b, c).ToString());
    }

    [Fact]
    public void NegativeDimensionIsRefusedWithTheShapeInTheMessage()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Shape(3, -1));
        Assert.Contains("[3, -1]", e.Message);
    }

    [Fact]
    public void AsMatrixFoldsLeadingDimensions()
    {
        Assert.Equal((12, 5), new Shape(3, 4, 5).AsMatrix());
        Assert.Equal((0, 5), new Shape(0, 4, 5).AsMatrix());
    }
}
