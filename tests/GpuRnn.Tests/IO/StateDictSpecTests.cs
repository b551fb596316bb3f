using Xunit;

namespace GpuRnn.Tests.IO;

public class StateDictSpecTests
{
    private static InvalidDataException Fails(IEnumerable<KeyValuePair<string, Shape>> shapes, IReadOnlyDictionary<string, string>? metadata = null, RnnSpecHints? hints = null)
    {
        var e = Assert.Throws<InvalidDataException>(() => StateDictSpec.Infer(shapes, metadata, hints, "model.safetensors"));
        Assert.StartsWith("model.safetensors: ", e.Message);
        return e;
    }

    [Theory]
    [MemberData(nameof(RandomSpecs.Cells), MemberType = typeof(RandomSpecs))]
    public void TheSpecIsInferredFromNamesAndShapesAloneUpToWhatTensorsCannotTell(RnnCellKind cell)
    {
        var rng = TestRandom.Create();
        for (var trial = 0; trial < 8; trial++)
        {
            var spec = RandomSpecs.Draw(rng, cell);
            var inferred = StateDictSpec.Infer(RandomSpecs.ShapesOf(spec));
            // Without metadata an RNN reads as rnn_tanh and a GRU as reset_after.
            var expected = spec with
            {
                Cell = cell == RnnCellKind.RnnRelu ? RnnCellKind.RnnTanh : cell,
                GruVariant = GruVariant.ResetAfter,
            };
            Assert.Equal(expected, inferred);
        }
    }

    [Theory]
    [MemberData(nameof(RandomSpecs.Cells), MemberType = typeof(RandomSpecs))]
    public void FullMetadataGivesBackTheExactSpec(RnnCellKind cell)
    {
        var rng = TestRandom.Create();
        for (var trial = 0; trial < 8; trial++)
        {
            var spec = RandomSpecs.Draw(rng, cell);
            Assert.Equal(spec, StateDictSpec.Infer(RandomSpecs.ShapesOf(spec), RnnMetadata.From(spec)));
        }
    }

    [Fact]
    public void ExpectedShapesMatchTheStacksParametersInOrder()
    {
        var rng = TestRandom.Create();
        foreach (var cell in Enum.GetValues<RnnCellKind>())
        {
            var spec = RandomSpecs.Draw(rng, cell);
            Assert.Equal(RandomSpecs.ShapesOf(spec), StateDictSpec.ExpectedShapes(spec));
        }
    }

    [Theory]
    [InlineData(RnnCellKind.RnnRelu, GruVariant.ResetAfter)]
    [InlineData(RnnCellKind.Gru, GruVariant.ResetBefore)]
    public void HintsSettleWhatNeitherTensorsNorMetadataSay(RnnCellKind cell, GruVariant variant)
    {
        var spec = RandomSpecs.Draw(TestRandom.Create(), cell) with { GruVariant = variant };
        var inferred = StateDictSpec.Infer(RandomSpecs.ShapesOf(spec), null, new RnnSpecHints(cell, cell == RnnCellKind.Gru ? variant : null));
        Assert.Equal(spec, inferred);
    }

    [Fact]
    public void MetadataCellThatContradictsTheGateRowsNamesBoth()
    {
        var spec = RandomSpecs.Draw(TestRandom.Create(), RnnCellKind.Gru);
        var e = Fails(RandomSpecs.ShapesOf(spec), new Dictionary<string, string> { ["cell"] = "lstm" });
        Assert.Contains("metadata cell=lstm contradicts the tensors", e.Message);
        Assert.Contains($"has 3*H rows for H = {spec.HiddenSize}, which makes a gru", e.Message);
    }

    [Theory]
    [InlineData("input_size")]
    [InlineData("hidden_size")]
    [InlineData("num_layers")]
    [InlineData("proj_size")]
    public void IntegerMetadataThatContradictsTheTensorsNamesBothValues(string key)
    {
        var rng = TestRandom.Create();
        var spec = RandomSpecs.Draw(rng, RnnCellKind.Lstm);
        var metadata = RnnMetadata.From(spec);
        var actual = int.Parse(metadata[key], System.Globalization.CultureInfo.InvariantCulture);
        var claimed = actual + rng.Next(1, 5);
        metadata[key] = claimed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var e = Fails(RandomSpecs.ShapesOf(spec), metadata);
        Assert.Contains($"metadata {key}={claimed} contradicts the tensors, which give {key} {actual}", e.Message);
    }

    [Theory]
    [InlineData("bidirectional")]
    [InlineData("bias")]
    [InlineData("peepholes")]
    public void BooleanMetadataThatContradictsTheTensorsNamesBothValues(string key)
    {
        var spec = RandomSpecs.Draw(TestRandom.Create(), RnnCellKind.Lstm);
        var metadata = RnnMetadata.From(spec);
        var actual = metadata[key];
        metadata[key] = actual == "true" ? "false" : "true";
        var e = Fails(RandomSpecs.ShapesOf(spec), metadata);
        Assert.Contains($"metadata {key}={metadata[key]} contradicts the tensors, which give {key} {actual}", e.Message);
    }

    [Fact]
    public void MetadataThatIsNotANumberNamesTheKeyAndValue()
    {
        var spec = RandomSpecs.Draw(TestRandom.Create(), RnnCellKind.Gru);
        var e = Fails(RandomSpecs.ShapesOf(spec), new Dictionary<string, string> { ["hidden_size"] = "six" });
        Assert.Contains("metadata hidden_size='six' is not a whole number", e.Message);
    }

    [Fact]
    public void AHintThatContradictsTheMetadataNamesBoth()
    {
        var spec = RandomSpecs.Draw(TestRandom.Create(), RnnCellKind.RnnRelu);
        var e = Fails(RandomSpecs.ShapesOf(spec), RnnMetadata.From(spec), new RnnSpecHints(RnnCellKind.RnnTanh));
        Assert.Contains("the cell asked for, rnn_tanh, contradicts the file's metadata cell=rnn_relu", e.Message);
    }

    [Fact]
    public void AnRnnCellHintOnAnLstmNamesBoth()
    {
        var spec = RandomSpecs.Draw(TestRandom.Create(), RnnCellKind.Lstm);
        var e = Fails(RandomSpecs.ShapesOf(spec), null, new RnnSpecHints(RnnCellKind.RnnRelu));
        Assert.Contains("the cell asked for, rnn_relu, contradicts the tensors", e.Message);
        Assert.Contains("which makes an lstm", e.Message);
    }

    [Fact]
    public void AGruVariantHintOnAnotherCellIsRefused()
    {
        var spec = RandomSpecs.Draw(TestRandom.Create(), RnnCellKind.Lstm);
        var e = Fails(RandomSpecs.ShapesOf(spec), null, new RnnSpecHints(GruVariant: GruVariant.ResetBefore));
        Assert.Contains("a gru variant (reset_before) was asked for, but the model is an lstm", e.Message);
    }

    [Fact]
    public void AMissingTensorIsNamedWithItsExpectedShape()
    {
        var spec = RandomSpecs.Draw(TestRandom.Create(), RnnCellKind.Gru) with { NumLayers = 2, Bidirectional = true };
        var shapes = RandomSpecs.ShapesOf(spec);
        var removed = shapes.Single(s => s.Key == "weight_hh_l1_reverse");
        shapes.Remove(removed);
        var e = Fails(shapes);
        Assert.Contains($"tensor 'weight_hh_l1_reverse' is missing (expected shape {removed.Value}", e.Message);
    }

    [Fact]
    public void ATensorOfTheWrongShapeIsNamedWithBothShapes()
    {
        var rng = TestRandom.Create();
        var spec = RandomSpecs.Draw(rng, RnnCellKind.Lstm) with { NumLayers = 2, Bias = true };
        var shapes = RandomSpecs.ShapesOf(spec);
        var index = shapes.FindIndex(s => s.Key == "bias_ih_l1");
        var expected = shapes[index].Value;
        var wrong = new Shape(expected[0] + rng.Next(1, 4));
        shapes[index] = new("bias_ih_l1", wrong);
        var e = Fails(shapes);
        Assert.Contains($"tensor 'bias_ih_l1' has shape {wrong} but {expected} was expected", e.Message);
    }

    [Fact]
    public void ANameThatIsNoRecurrentParameterIsNamedWithItsShape()
    {
        var spec = RandomSpecs.Draw(TestRandom.Create(), RnnCellKind.RnnTanh);
        var shapes = RandomSpecs.ShapesOf(spec);
        shapes.Add(new("decoder.weight", new Shape(10, spec.HiddenSize)));
        var e = Fails(shapes);
        Assert.Contains($"tensor 'decoder.weight' [10, {spec.HiddenSize}] is not a recurrent-layer parameter", e.Message);
    }

    [Fact]
    public void AParameterOfAnotherSpecIsUnexpected()
    {
        var spec = RandomSpecs.Draw(TestRandom.Create(), RnnCellKind.Gru) with { GruVariant = GruVariant.ResetAfter };
        var shapes = RandomSpecs.ShapesOf(spec);
        shapes.Add(new("weight_co_l0", new Shape(spec.HiddenSize)));
        var e = Fails(shapes);
        Assert.Contains($"tensor 'weight_co_l0' [{spec.HiddenSize}] does not belong to a {spec}", e.Message);
    }

    [Fact]
    public void GateRowsThatAreNoMultipleOfTheHiddenSizeAreRefusedWithTheShapes()
    {
        var e = Fails([new("weight_ih_l0", new Shape(10, 3)), new("weight_hh_l0", new Shape(10, 4))]);
        Assert.Contains("tensor 'weight_ih_l0' has shape [10, 3]: its 10 rows are not 4*H (lstm), 3*H (gru) or H (rnn) for the hidden size H = 4", e.Message);
    }

    [Fact]
    public void WithoutWeightIhL0TheErrorListsWhatWasFound()
    {
        var e = Fails([new("weight_hh_l0", new Shape(4, 4))]);
        Assert.Contains("tensor 'weight_ih_l0' is missing", e.Message);
        Assert.Contains("found: weight_hh_l0", e.Message);
    }
}
