using Xunit;

namespace GpuRnn.Tests.Golden;

/// <summary>
/// One PyTorch reference case written by tests/golden/make_golden.py: the module's parameters and
/// metadata, the inputs (x, h0, c0, lengths), the outputs (y, hn, cn), the weights of the linear
/// functional loss = sum(y*wy) + sum(hn*wh) + sum(cn*wc), and the gradients of that loss (grad.*).
/// </summary>
public sealed class GoldenCase
{
    private GoldenCase(string name, SafeTensorsFile file)
    {
        Name = name;
        File = file;
        Weights = file.Tensors.Where(kv => StateDictSpec.IsParameterName(kv.Key)).ToDictionary();
        DType = Weights["weight_ih_l0"].DType;
    }

    /// <summary>The folder the test project copies the cases to.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "golden");

    /// <summary>Every case's file name.</summary>
    public static IReadOnlyList<string> FileNames()
    {
        var names = Directory.Exists(Folder)
            ? Directory.GetFiles(Folder, "*.safetensors").Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToList()
            : [];
        // A missing folder must fail loudly, never make the golden theories vanish.
        if (names.Count == 0) throw new InvalidOperationException($"no golden cases in {Folder}; run tests/golden/make_golden.py and rebuild");
        return names;
    }

    /// <summary>Reads a case by file name.</summary>
    public static GoldenCase Load(string fileName) => new(fileName, SafeTensors.Read(Path.Combine(Folder, fileName)));

    /// <summary>The file name, for messages.</summary>
    public string Name { get; }

    /// <summary>The whole file.</summary>
    public SafeTensorsFile File { get; }

    /// <summary>The module's parameters by PyTorch name.</summary>
    public IReadOnlyDictionary<string, HostTensor> Weights { get; }

    /// <summary>The dtype PyTorch computed in.</summary>
    public DType DType { get; }

    /// <summary>The case's metadata (cell, sizes, ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata => File.Metadata;

    /// <summary>A tensor of the file, or null when absent.</summary>
    public HostTensor? Optional(string name) => File.Contains(name) ? File[name] : null;

    /// <summary>Skips the test unless <paramref name="backend"/> computes in this case's dtype.</summary>
    public void SkipUnlessSupported(IBackend backend)
    {
        if (!backend.Supports(DType))
            Assert.Skip($"backend '{backend.Name}' does not compute in {DType.DisplayName()}, which case {Name} is in");
    }

    /// <summary>The tolerances for this case's dtype: (forward, gradient).</summary>
    public (double Forward, double Gradient) Tolerances => DType == DType.Float64
        ? (Tolerance.Exact64, Tolerance.Exact64)
        : (Tolerance.Forward32, Tolerance.Gradient32);

    /// <summary>Asserts <paramref name="actual"/> matches the file's tensor <paramref name="name"/> within <paramref name="tolerance"/>.</summary>
    public void AssertMatches(HostTensor actual, string name, double tolerance, string backend)
    {
        var expected = File[name];
        Assert.Equal(expected.Shape, actual.Shape);
        Tolerance.AssertClose(actual.ToFloat64Array(), expected.ToFloat64Array(), tolerance, $"{Name} on {backend}: {name}");
    }
}
