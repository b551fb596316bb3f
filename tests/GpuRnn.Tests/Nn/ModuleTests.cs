using GpuRnn.Cpu;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Nn;

/// <summary>The module base: names from the tree, state_dict loading, ZeroGrad and Dispose over the tree.</summary>
public class ModuleTests
{
    private static readonly CpuBackend Cpu = new();

    /// <summary>A module with parameters of given names and shapes, random values and gradients.</summary>
    private sealed class Leaf : Module
    {
        public Leaf(Random rng, string name, params (string Name, Shape Shape)[] parameters) : base(name)
        {
            foreach (var (n, shape) in parameters)
                RegisterParameter(n, TestRandom.Tensor(rng, shape, DType.Float32).ToDevice(Cpu), TestRandom.Tensor(rng, shape, DType.Float32).ToDevice(Cpu));
        }

        public int DisposeCoreCalls { get; private set; }

        protected override void DisposeCore() => DisposeCoreCalls++;
    }

    private sealed class Node(string name = "") : Module(name);

    private static Shape RandomShape(Random rng) => rng.Next(2) == 0 ? new Shape(rng.Next(1, 5)) : new Shape(rng.Next(1, 5), rng.Next(1, 5));

    /// <summary>root: own 'scale'; 'encoder' (own 'gain', child 'proj' with weight and bias); a merged helper with 'embedding'; 'head'.</summary>
    private static (Node Root, Leaf Gain, Leaf Proj, Leaf Embedding, Leaf Head, string[] Names) Tree(Random rng) => Tree(rng, new Random(rng.Next()));

    /// <summary>The tree with values from <paramref name="rng"/> and shapes from <paramref name="shapes"/>.</summary>
    private static (Node Root, Leaf Gain, Leaf Proj, Leaf Embedding, Leaf Head, string[] Names) Tree(Random rng, Random shapes)
    {
        var root = new Node();
        var encoder = root.RegisterModule("encoder", new Node());
        var gain = encoder.RegisterModule("norm", new Leaf(rng, "", ("gain", RandomShape(shapes))));
        var proj = encoder.RegisterModule("proj", new Leaf(rng, "", ("weight", RandomShape(shapes)), ("bias", RandomShape(shapes))));
        var helper = root.RegisterModule("", new Node());
        var embedding = helper.RegisterModule("embedding", new Leaf(rng, "embedding", ("weight", RandomShape(shapes))));
        var head = root.RegisterModule("head", new Leaf(rng, "", ("weight", RandomShape(shapes)), ("bias", RandomShape(shapes))));
        return (root, gain, proj, embedding, head,
            ["encoder.norm.gain", "encoder.proj.weight", "encoder.proj.bias", "embedding.weight", "head.weight", "head.bias"]);
    }

    [Fact]
    public void ParameterNamesAreTheDottedPathsOfTheTreeInRegistrationOrder()
    {
        var (root, _, proj, embedding, _, names) = Tree(TestRandom.Create());
        using (root)
        {
            Assert.Equal(names, root.Parameters.Select(p => p.Name));
            Assert.Equal(names, root.StateDict().Select(kv => kv.Key));
            // A child's parameters carry their full names too: they are the keys of the whole model.
            Assert.Equal(["encoder.proj.weight", "encoder.proj.bias"], proj.Parameters.Select(p => p.Name));
            Assert.Equal("encoder.proj", proj.Path);
            Assert.Equal("embedding", embedding.Path);
            Assert.Equal(["encoder", "", "head"], root.Children.Select(c => c.Key));
        }
    }

    [Fact]
    public void ANamedRootPrefixesEveryName()
    {
        var rng = TestRandom.Create();
        using var root = new Node("model");
        root.RegisterModule("decoder", new Leaf(rng, "", ("weight", RandomShape(rng))));
        Assert.Equal(["model.decoder.weight"], root.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void RegistrationRefusesDotsTakenNamesASecondParentAndAnotherName()
    {
        var rng = TestRandom.Create();
        using var root = new Node();
        var child = root.RegisterModule("a", new Node());
        Assert.Contains("cannot contain '.'", Assert.Throws<ArgumentException>(() => root.RegisterModule("a.b", new Node())).Message);
        Assert.Contains("already has a parameter or module named 'a'", Assert.Throws<ArgumentException>(() => root.RegisterModule("a", new Node())).Message);
        using var other = new Node();
        Assert.Contains("already registered as 'a'", Assert.Throws<ArgumentException>(() => other.RegisterModule("b", child)).Message);
        using var named = new Leaf(rng, "embedding", ("weight", new Shape(2)));
        Assert.Contains("named 'embedding' and cannot be registered as 'x'", Assert.Throws<ArgumentException>(() => root.RegisterModule("x", named)).Message);
        Assert.Contains("cannot contain '.'", Assert.Throws<ArgumentException>(() => new Leaf(rng, "", ("a.weight", new Shape(2)))).Message);
    }

    [Fact]
    public void MergedChildrenWithTheSameParameterNameAreRefusedWhenNamed()
    {
        var rng = TestRandom.Create();
        using var root = new Node();
        root.RegisterModule("", new Leaf(rng, "", ("weight", new Shape(2))));
        root.RegisterModule("", new Leaf(rng, "", ("weight", new Shape(3))));
        Assert.Contains("two parameters of the module tree are named 'weight'", Assert.Throws<InvalidOperationException>(() => root.Parameters).Message);
    }

    [Fact]
    public void StateDictRoundTripsThroughSafeTensorsIntoAnotherTree()
    {
        var rng = TestRandom.Create();
        var shapeSeed = rng.Next();
        var (a, _, _, _, _, names) = Tree(rng, new Random(shapeSeed));
        // Another tree of the same shapes, with other values.
        var (b, _, _, _, _, _) = Tree(new Random(rng.Next()), new Random(shapeSeed));
        using (a)
        using (b)
        {
            using var folder = new TempFolder();
            var path = folder.File("model.safetensors");
            SafeTensors.Write(path, a.StateDict());
            var file = SafeTensors.Read(path);
            Assert.Equal(names, file.Names);
            Assert.Contains(a.Parameters.Zip(b.Parameters), p => !p.First.Value.ToHost().AsFloat32().SequenceEqual(p.Second.Value.ToHost().AsFloat32()));
            var result = b.LoadStateDict(file.Tensors, source: path);
            Assert.Empty(result.MissingKeys);
            Assert.Empty(result.UnexpectedKeys);
            foreach (var (x, y) in a.Parameters.Zip(b.Parameters))
                Assert.Equal(x.Value.ToHost().AsFloat32(), y.Value.ToHost().AsFloat32());
        }
    }

    [Fact]
    public void StrictLoadingNamesAMissingTensorWithItsShapeAndCopiesNothing()
    {
        var (root, _, proj, _, _, _) = Tree(TestRandom.Create());
        using (root)
        {
            var before = root.StateDict();
            var dict = Scaled(before, 2);
            dict.Remove("encoder.proj.bias");
            var e = Assert.Throws<InvalidDataException>(() => root.LoadStateDict(dict, source: "model.safetensors"));
            var shape = proj.Parameters[1].Value.Shape;
            Assert.Equal($"model.safetensors: tensor 'encoder.proj.bias' is missing (expected shape {shape})", e.Message);
            AssertValues(before, root);
        }
    }

    [Fact]
    public void AFloat64ValueThatOverflowsTheFloat32ModelIsRefusedNamingItAndCopiesNothing()
    {
        var rng = TestRandom.Create();
        var (root, _, _, _, _, names) = Tree(rng);
        using (root)
        {
            var before = root.StateDict();
            // Float64 copies of other values (every other tensor converts fine), one element beyond float32's range.
            var dict = before.ToDictionary(kv => kv.Key, kv => HostTensor.FromArray(kv.Value.AsFloat32().Select(v => 2.0 * v).ToArray(), kv.Value.Shape));
            var name = names[rng.Next(names.Length)];
            var values = dict[name].AsFloat64().ToArray();
            var index = rng.Next(values.Length);
            values[index] = (rng.Next(2) == 0 ? -1 : 1) * 1e39;
            dict[name] = HostTensor.FromArray(values, dict[name].Shape);
            var e = Assert.Throws<InvalidDataException>(() => root.LoadStateDict(dict, source: "w.safetensors"));
            Assert.Equal($"w.safetensors: tensor '{name}'{GpuRnn.IO.FiniteCheck.FormatIndex(dict[name].Shape, index)} is {values[index]:R}, which overflows float32, the model's dtype; inputs must be finite numbers there", e.Message);
            AssertValues(before, root);
        }
    }

    [Fact]
    public void StrictLoadingNamesAnUnexpectedTensor()
    {
        var (root, _, _, _, _, _) = Tree(TestRandom.Create());
        using (root)
        {
            var before = root.StateDict();
            var dict = Scaled(before, 3);
            dict["decoder.weight"] = HostTensor.Zeros(new Shape(3, 2), DType.Float32);
            dict["rnn.weight_ih_l0"] = HostTensor.Zeros(new Shape(1), DType.Float32);
            var e = Assert.Throws<InvalidDataException>(() => root.LoadStateDict(dict));
            Assert.Equal("state_dict: unexpected tensor 'decoder.weight' [3, 2]: a Node has no parameter of that name (and 1 more)", e.Message);
            AssertValues(before, root);
        }
    }

    [Fact]
    public void AShapeMismatchIsAnErrorEvenWhenNotStrict()
    {
        var rng = TestRandom.Create();
        var (root, _, _, _, head, _) = Tree(rng);
        using (root)
        {
            var before = root.StateDict();
            var dict = Scaled(before, 2);
            var expected = head.Parameters[0].Value.Shape;
            var wrong = new Shape((int)expected.ElementCount + rng.Next(1, 4));
            dict["head.weight"] = HostTensor.Zeros(wrong, DType.Float32);
            foreach (var strict in new[] { true, false })
            {
                var e = Assert.Throws<InvalidDataException>(() => root.LoadStateDict(dict, strict));
                Assert.Equal($"state_dict: tensor 'head.weight' has shape {wrong} but the model expects {expected}", e.Message);
            }
            AssertValues(before, root);
        }
    }

    [Fact]
    public void AnIntegerTensorIsRefused()
    {
        var (root, gain, _, _, _, _) = Tree(TestRandom.Create());
        using (root)
        {
            var dict = Scaled(root.StateDict(), 1);
            var shape = gain.Parameters[0].Value.Shape;
            dict["encoder.norm.gain"] = HostTensor.FromArray(new int[shape.ElementCount], shape);
            var e = Assert.Throws<InvalidDataException>(() => root.LoadStateDict(dict));
            Assert.Contains("tensor 'encoder.norm.gain' is int32 but a float tensor was expected", e.Message);
        }
    }

    [Fact]
    public void LenientLoadingCopiesWhatIsThereAndReportsTheRest()
    {
        var (root, _, _, _, _, names) = Tree(TestRandom.Create());
        using (root)
        {
            var before = root.StateDict();
            var dict = Scaled(before, -2);
            dict.Remove("embedding.weight");
            dict["extra.b"] = HostTensor.Zeros(new Shape(1), DType.Float32);
            dict["extra.a"] = HostTensor.Zeros(new Shape(1), DType.Float32);
            var result = root.LoadStateDict(dict, strict: false);
            Assert.Equal(["embedding.weight"], result.MissingKeys);
            Assert.Equal(["extra.a", "extra.b"], result.UnexpectedKeys);
            var after = root.StateDict();
            for (var i = 0; i < names.Length; i++)
            {
                var factor = names[i] == "embedding.weight" ? 1 : -2;
                Assert.Equal(before[i].Value.AsFloat32().Select(v => v * factor), after[i].Value.AsFloat32());
            }
        }
    }

    [Fact]
    public void Float64ValuesLoadIntoFloat32ParametersRounded()
    {
        var rng = TestRandom.Create();
        using var leaf = new Leaf(rng, "", ("weight", new Shape(rng.Next(2, 9))));
        var values = TestRandom.Uniform(rng, (int)leaf.Parameters[0].Value.ElementCount);
        leaf.LoadStateDict(new Dictionary<string, HostTensor> { ["weight"] = HostTensor.FromArray(values, leaf.Parameters[0].Value.Shape) });
        Assert.Equal(values.Select(v => (float)v), leaf.Parameters[0].Value.ToHost().AsFloat32());
    }

    [Fact]
    public void ZeroGradClearsEveryGradientOfTheTree()
    {
        var (root, _, _, _, _, _) = Tree(TestRandom.Create());
        using (root)
        {
            Assert.All(root.Parameters, p => Assert.Contains(p.Gradient.ToHost().AsFloat32(), v => v != 0));
            root.ZeroGrad();
            Assert.All(root.Parameters, p => Assert.All(p.Gradient.ToHost().AsFloat32(), v => Assert.Equal(0f, v)));
        }
    }

    [Fact]
    public void DisposingTheRootFreesEveryModuleAndTensorOnce()
    {
        var (root, gain, proj, embedding, head, _) = Tree(TestRandom.Create());
        var tensors = root.Parameters.SelectMany(p => new[] { p.Value, p.Gradient }).ToList();
        root.Dispose();
        root.Dispose();
        Assert.All(tensors, t => Assert.True(t.IsDisposed));
        Assert.All(new Module[] { root, gain, proj, embedding, head }, m => Assert.True(m.IsDisposed));
        Assert.All(new[] { gain, proj, embedding, head }, m => Assert.Equal(1, m.DisposeCoreCalls));
        Assert.Throws<ObjectDisposedException>(() => root.LoadStateDict(new Dictionary<string, HostTensor>()));
    }

    private static Dictionary<string, HostTensor> Scaled(IReadOnlyList<KeyValuePair<string, HostTensor>> state, float factor) =>
        state.ToDictionary(kv => kv.Key, kv => HostTensor.FromArray(kv.Value.AsFloat32().Select(v => v * factor).ToArray(), kv.Value.Shape));

    private static void AssertValues(IReadOnlyList<KeyValuePair<string, HostTensor>> expected, Module module)
    {
        var actual = module.StateDict();
        Assert.Equal(expected.Select(kv => kv.Key), actual.Select(kv => kv.Key));
        for (var i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Value.AsFloat32(), actual[i].Value.AsFloat32());
    }
}
