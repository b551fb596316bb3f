using GpuRnn.Cpu;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Tasks;

/// <summary>The caption task's data (generated scenes, the file format), model tree and checkpoint round trip.</summary>
public sealed class CaptionTaskTests : IDisposable
{
    private static readonly CpuBackend Cpu = new();
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void EverySceneCaptionSaysWhatItsNoisyFeatureVectorShows()
    {
        // Read back from the vector alone: the slots' strongest one-hot features and the positions.
        var stream = (ulong)TestRandom.Create().Next();
        string Read(double[] slot)
        {
            int Strongest(int from, int count) => Enumerable.Range(from, count).MaxBy(i => slot[i]) - from;
            var colours = Scenes.Colours.Count;
            var shapes = Scenes.Shapes.Count;
            return $"a {Scenes.Sizes[Strongest(1 + colours + shapes, Scenes.Sizes.Count)]} {Scenes.Colours[Strongest(1, colours)]} {Scenes.Shapes[Strongest(1 + colours, shapes)]}";
        }
        var twos = 0;
        foreach (var (features, caption) in Scenes.Generate(stream, 300))
        {
            Assert.Equal(Scenes.FeatureSize, features.Length);
            Assert.All(features, f => Assert.InRange(f, -Scenes.Noise, 1 + Scenes.Noise));
            var first = features[..Scenes.SlotSize];
            var second = features[Scenes.SlotSize..];
            var expected = Read(first);
            if (second[0] > 0.5)
            {
                twos++;
                double dx = second[^2] - first[^2], dy = second[^1] - first[^1];
                var relation = Math.Abs(dx) >= Math.Abs(dy) ? (dx > 0 ? "left of" : "right of") : (dy > 0 ? "above" : "below");
                expected += $" {relation} {Read(second)}";
            }
            else Assert.All(second, f => Assert.InRange(f, -Scenes.Noise, Scenes.Noise));
            Assert.Equal(expected, caption);
        }
        Assert.InRange(twos, 150, 299);
    }

    [Fact]
    public void ACaptionFileRoundTripsTheGeneratorsLinesAndRefusesBadLinesNamingThem()
    {
        var scenes = Scenes.Generate((ulong)TestRandom.Create().Next(), 5);
        var lines = DataFile.Lines("# a comment\n\n" + string.Join("\n", scenes.Select(Scenes.Line)) + "\n");
        var read = CaptionFile.Parse(lines, "data file 'x.tsv'", labelled: true);
        Assert.Equal(scenes.Select(s => s.Caption), read.Select(r => r.Caption));
        for (var i = 0; i < scenes.Count; i++) Tolerance.AssertClose(scenes[i].Features, read[i].Features, 1e-5, $"scene {i}");
        Assert.Equal(3, read[0].Line);

        string Error(string text, bool labelled = true, int featureSize = 0) =>
            Assert.Throws<InvalidDataException>(() => CaptionFile.Parse(DataFile.Lines(text), "data file 'x.tsv'", labelled, featureSize)).Message;
        Assert.Equal("data file 'x.tsv', line 2: expected 2 features but found 3", Error("1,2\tx\n1,2,3\ty\n"));
        Assert.Equal("data file 'x.tsv', line 1: expected 4 features but found 2", Error("1,2\tx\n", featureSize: 4));
        Assert.Equal("data file 'x.tsv', line 1: feature 2 is 'inf', not a finite number", Error("1,inf\tx\n"));
        Assert.Equal("data file 'x.tsv', line 1: feature 2 is '', not a finite number", Error("1,,2\tx\n"));
        Assert.Equal("data file 'x.tsv', line 2: feature 1 is '1e39', beyond float32's range (at most 3.4028235E+38 in magnitude)", Error("1,2\tx\n1e39,2\ty\n"));
        Assert.Equal("data file 'x.tsv', line 1: the caption is empty (expected at least one word after the tab)", Error("1,2\t \n"));
        Assert.Equal("data file 'x.tsv', line 1: expected f1,f2,...,fF<TAB>caption but the line has no tab", Error("1,2 a cat\n"));
        Assert.Equal("data file 'x.tsv', line 1: expected f1,f2,...,fF<TAB>caption but the line has 3 tab-separated fields", Error("1,2\ta\tb\n"));
        Assert.Equal("data file 'x.tsv', line 1: expected f1,f2,...,fF (a vector without a caption) but the line has a tab", Error("1,2\ta\n", labelled: false));
        Assert.Equal("data file 'x.tsv' has no vectors (expected f1,f2,...,fF<TAB>caption lines)", Error("# nothing\n"));
    }

    [Fact]
    public void ACaptionModelNamesItsTreeAsPyTorchWould()
    {
        var rng = TestRandom.Create();
        int h = rng.Next(2, 5), layers = rng.Next(1, 3);
        var spec = TaskFixtures.Spec(TaskKind.Caption, RnnCellKind.Gru, hidden: h) with { NumLayers = layers };
        using var model = TaskModels.Create(Cpu, spec, (ulong)rng.Next());
        var names = model.StateDict().Select(kv => (kv.Key, kv.Value.Shape)).ToList();
        int f = spec.FeatureSize, v = spec.OutputSize;
        Assert.Equal([("init_hidden.weight", new Shape(layers * h, f)), ("init_hidden.bias", new Shape(layers * h)), ("decoder.embedding.weight", new Shape(v, spec.EmbeddingSize))], names[..3]);
        Assert.Equal([("decoder.output.weight", new Shape(v, h)), ("decoder.output.bias", new Shape(v))], names[^2..]);
        Assert.Contains(("decoder.rnn.weight_ih_l0", new Shape(3 * h, spec.EmbeddingSize)), names);
        Assert.DoesNotContain(names, n => n.Key.StartsWith("init_cell", StringComparison.Ordinal));
    }

    [Fact]
    public void TheVectorSetsTheDecodersInitialStateLayerByLayer()
    {
        // init_hidden with zero weights gives every vector h0 = its bias; two examples side by side must each score as the
        // decoder started from h0 [L, 1, H] = the bias read row-major (layer l's units at rows l*H..), by the stack's own forward.
        var rng = TestRandom.Create();
        var spec = TaskFixtures.Spec(TaskKind.Caption, RnnCellKind.RnnTanh, hidden: 3) with { NumLayers = 2 };
        using var model = (CaptionModel)TaskModels.Create(Cpu, spec, (ulong)rng.Next(), DType.Float64);
        var bias = TestRandom.Uniform(rng, 6);
        Cpu.Fill(model.InitHidden.Weight.Value, 0);
        TensorExtensions.Upload(model.InitHidden.Bias.Value, bias);
        var examples = TaskFixtures.Examples(rng, spec, 2, 1).Select(e => e with { Output = [1, 2] }).ToArray();
        var viaVector = model.SequenceLogProbabilities(examples);

        using var h0 = bias.ToDevice(Cpu, new Shape(2, 1, 3));
        using var decoded = model.Decoder.Forward([0, 1, 2], null, 3, 1, null, h0);
        using var logits = model.Output.Forward(decoded.Output);
        var values = logits.ToFloat64Array();
        HeadMath.LogSoftmaxRows(values, 3, spec.OutputSize);
        var direct = values[0 * spec.OutputSize + 1] + values[1 * spec.OutputSize + 2] + values[2 * spec.OutputSize + 0];
        Assert.Equal(direct, viaVector[0], 12);
        Assert.Equal(direct, viaVector[1], 12);
    }

    [Fact]
    public void ATrainedCaptionCheckpointRoundTripsAndDecodesTheSame()
    {
        var rng = TestRandom.Create();
        var seed = (ulong)rng.Next();
        var (spec, data) = TaskSetup.Create(new TaskSettings { Task = TaskKind.Caption, Cell = RnnCellKind.Lstm, HiddenSize = 8, EmbeddingSize = 4, NumLayers = 2 }, null, seed);
        using var model = TaskModels.Create(Cpu, spec, seed);
        var options = new TrainingOptions(Batch: 8, SequenceLength: 1, Steps: 3, Clip: 1, EvalEvery: 0, Seed: seed);
        using var trainer = new Trainer(model, data, new OptimizerConfig(OptimizerKind.Adam), new LearningRateSchedule(0.01), options);
        Assert.Equal(TrainingStatus.Completed, trainer.Run(null, TestContext.Current.CancellationToken).Status);
        var path = _folder.File("caption.safetensors");
        trainer.SaveCheckpoint(path);

        var (loaded, snapshot) = Checkpoint.LoadModel(path, Cpu);
        using (loaded)
        {
            Assert.Equal(spec.ToJson(), snapshot.Spec.ToJson());
            Assert.Equal(3, snapshot.Step);
            Assert.Equal(model.StateDict().Select(kv => kv.Key), snapshot.Parameters.Select(kv => kv.Key));
            var test = TaskSetup.BuiltInTest(spec).Take(20).ToList();
            var caption = (CaptionModel)model;
            var again = Assert.IsType<CaptionModel>(loaded);
            Assert.Equal(caption.SequenceLogProbabilities(test), again.SequenceLogProbabilities(test));
            Assert.Equal(caption.Decode(test, 2), again.Decode(test, 2));
            Assert.Equal(caption.Decode(test), again.Decode(test));
        }
    }
}
