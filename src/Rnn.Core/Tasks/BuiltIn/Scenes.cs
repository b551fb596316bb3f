using System.Globalization;

namespace GpuRnn.Tasks.BuiltIn;

/// <summary>
/// The built-in data of <c>caption</c>: scenes of one or two objects, each with a colour, a shape,
/// a size and a position, rendered as a feature vector (what a CNN would give for an image) and
/// described by a sentence such as <c>a small red circle left of a large blue square</c>. The
/// vector has two slots of <see cref="SlotSize"/> features: present, one-hot colour, shape and size,
/// and the position x, y in [0, 1]; every feature carries uniform noise of +-<see cref="Noise"/>.
/// The sentence names the first slot's object, then where it is relative to the second (the larger
/// of the horizontal and vertical distances decides: left of, right of, above, below).
/// </summary>
public static class Scenes
{
    /// <summary>The name shown for the data in logs and checkpoints.</summary>
    public const string Name = "built-in scenes";

    /// <summary>Half-width of the uniform noise on every feature.</summary>
    public const double Noise = 0.05;

    /// <summary>The colours, in the order of their one-hot features.</summary>
    public static readonly IReadOnlyList<string> Colours = ["red", "green", "blue", "yellow"];

    /// <summary>The shapes, in the order of their one-hot features.</summary>
    public static readonly IReadOnlyList<string> Shapes = ["circle", "square", "triangle"];

    /// <summary>The sizes, in the order of their one-hot features.</summary>
    public static readonly IReadOnlyList<string> Sizes = ["small", "large"];

    /// <summary>Features of one object: present, colour, shape, size, x, y.</summary>
    public static int SlotSize => 1 + Colours.Count + Shapes.Count + Sizes.Count + 2;

    /// <summary>Features of a scene, F: two slots.</summary>
    public static int FeatureSize => 2 * SlotSize;

    /// <summary>Every word a caption may use (the output vocabulary besides the end token).</summary>
    public static IReadOnlyList<string> Words => ["a", .. Sizes, .. Colours, .. Shapes, "left", "right", "of", "above", "below"];

    /// <summary>Example <paramref name="n"/> of random stream <paramref name="stream"/>: a scene and its caption.</summary>
    public static (double[] Features, string Caption) Scene(ulong stream, long n)
    {
        var random = new GeneratorRandom(CounterRng.Hash(stream, 0x5CE), (ulong)n);
        var features = new double[FeatureSize];
        var count = random.Chance(0.25) ? 1 : 2;
        var objects = new (int Colour, int Shape, int Size, double X, double Y)[count];
        for (var i = 0; i < count; i++)
        {
            objects[i] = (random.Next(Colours.Count), random.Next(Shapes.Count), random.Next(Sizes.Count), random.NextDouble(), random.NextDouble());
            if (i == 1)
            {
                // Two objects are kept clearly apart along one axis, so that the relation is not a coin toss under the noise.
                var (dx, dy) = (objects[1].X - objects[0].X, objects[1].Y - objects[0].Y);
                if (Math.Max(Math.Abs(dx), Math.Abs(dy)) < 0.3 || Math.Abs(Math.Abs(dx) - Math.Abs(dy)) < 0.25)
                {
                    var horizontal = random.Chance(0.5);
                    var sign = random.Chance(0.5) ? 1 : -1;
                    var along = 0.4 + 0.4 * random.NextDouble();
                    var across = 0.2 * (random.NextDouble() - 0.5);
                    var (x0, y0) = (0.5 - sign * along / 2 * (horizontal ? 1 : 0), 0.5 - sign * along / 2 * (horizontal ? 0 : 1));
                    objects[0] = objects[0] with { X = x0, Y = y0 };
                    objects[1] = objects[1] with { X = horizontal ? x0 + sign * along : x0 + across, Y = horizontal ? y0 + across : y0 + sign * along };
                }
            }
        }
        // Rendered once both are placed: moving them apart changes the first object's position too.
        for (var i = 0; i < count; i++) Render(objects[i], features.AsSpan(i * SlotSize, SlotSize));
        for (var k = 0; k < features.Length; k++) features[k] += Noise * (2 * random.NextDouble() - 1);
        var caption = Describe(objects[0]);
        if (count == 2) caption += " " + Relation(objects[0].X, objects[0].Y, objects[1].X, objects[1].Y) + " " + Describe(objects[1]);
        return (features, caption);
    }

    /// <summary><paramref name="count"/> scenes of stream <paramref name="stream"/>, from example 0.</summary>
    public static IReadOnlyList<(double[] Features, string Caption)> Generate(ulong stream, int count) =>
        Enumerable.Range(0, count).Select(i => Scene(stream, i)).ToList();

    /// <summary>A scene as a line of the caption file format, <c>f1,...,fF&lt;TAB&gt;caption</c>.</summary>
    public static string Line((double[] Features, string Caption) scene) =>
        string.Join(',', scene.Features.Select(f => f.ToString("G6", CultureInfo.InvariantCulture))) + "\t" + scene.Caption;

    private static void Render((int Colour, int Shape, int Size, double X, double Y) o, Span<double> slot)
    {
        slot[0] = 1;
        slot[1 + o.Colour] = 1;
        slot[1 + Colours.Count + o.Shape] = 1;
        slot[1 + Colours.Count + Shapes.Count + o.Size] = 1;
        slot[^2] = o.X;
        slot[^1] = o.Y;
    }

    private static string Describe((int Colour, int Shape, int Size, double X, double Y) o) => $"a {Sizes[o.Size]} {Colours[o.Colour]} {Shapes[o.Shape]}";

    // y grows downwards, as in an image.
    private static string Relation(double x0, double y0, double x1, double y1) =>
        Math.Abs(x1 - x0) >= Math.Abs(y1 - y0) ? (x0 < x1 ? "left of" : "right of") : (y0 < y1 ? "above" : "below");
}
