using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// Every way <c>gpurnn run</c> can be given bad input ends in one line on stderr naming the
/// problem with its expected and actual values, a non-zero exit code, and no output file.
/// </summary>
public sealed class RunCommandErrorTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly Random _rng = TestRandom.Create();
    private readonly GpuRnn.Cpu.CpuBackend _cpu = new();

    public void Dispose()
    {
        _folder.Dispose();
        _cpu.Dispose();
    }

    private string Output => _folder.File("out.safetensors");

    private (string Path, RnnSpec Spec) SaveModel(RnnCellKind cell, DType dtype = DType.Float32)
    {
        var spec = RandomSpecs.Draw(_rng, cell);
        using var stack = new RnnStack(_cpu, spec, dtype, seed: (ulong)_rng.NextInt64());
        var path = _folder.File("model.safetensors");
        RnnModelFile.Save(path, stack);
        return (path, spec);
    }

    private string SaveInputs(params (string Name, HostTensor Tensor)[] tensors)
    {
        var path = _folder.File("input.safetensors");
        SafeTensors.Write(path, tensors.Select(t => new KeyValuePair<string, HostTensor>(t.Name, t.Tensor)));
        return path;
    }

    private HostTensor X(RnnSpec spec, int steps, int batch, DType dtype = DType.Float32) =>
        TestRandom.Tensor(_rng, new Shape(steps, batch, spec.InputSize), dtype);

    private string RunFails(int exitCode, string model, string input, params string[] extra)
    {
        var line = Gpurnn.Run(["run", "--model", model, "--input", input, "--output", Output, "--backend", "cpu", .. extra]).AssertFailed(exitCode);
        Assert.False(File.Exists(Output), "a failed run must not leave an output file");
        return line;
    }

    [Fact]
    public void AnUnknownBackendIsRefusedListingThoseHere()
    {
        var (model, spec) = SaveModel(RnnCellKind.Gru);
        var input = SaveInputs(("x", X(spec, 3, 2)));
        var line = Gpurnn.Run("run", "--model", model, "--input", input, "--output", Output, "--backend", "tpu").AssertFailed(ExitCodes.BackendUnavailable);
        Assert.Contains("unknown backend 'tpu'", line);
        Assert.Contains("present here: ", line);
        Assert.Contains("cpu", line[line.IndexOf("present here: ", StringComparison.Ordinal)..]);
    }

    [Fact]
    public void ABackendAbsentHereIsRefusedWithItsReason()
    {
        var absent = Backend.Probe().FirstOrDefault(i => !i.IsAvailable);
        if (absent is null) Assert.Skip("every backend is available on this machine");
        var (model, spec) = SaveModel(RnnCellKind.Lstm);
        var input = SaveInputs(("x", X(spec, 3, 2)));
        var line = Gpurnn.Run("run", "--model", model, "--input", input, "--output", Output, "--backend", absent.Name).AssertFailed(ExitCodes.BackendUnavailable);
        Assert.Contains($"backend '{absent.Name}' is not available here", line);
        Assert.Contains("present here: ", line);
    }

    [Fact]
    public void AMissingModelFileIsNamed()
    {
        var missing = _folder.File("no-model.safetensors");
        var line = RunFails(ExitCodes.BadInput, missing, SaveInputs(("x", TestRandom.Tensor(_rng, new Shape(2, 2, 2), DType.Float32))));
        Assert.Contains($"{missing}: file not found", line);
    }

    [Fact]
    public void AMissingInputFileIsNamed()
    {
        var (model, _) = SaveModel(RnnCellKind.RnnTanh);
        var missing = _folder.File("no-input.safetensors");
        Assert.Contains($"{missing}: file not found", RunFails(ExitCodes.BadInput, model, missing));
    }

    [Fact]
    public void AModelFileThatIsNotSafetensorsIsRefused()
    {
        var model = _folder.File("model.pt");
        File.WriteAllText(model, $"PyTorch pickles are not supported {_rng.Next()}");
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", TestRandom.Tensor(_rng, new Shape(2, 2, 2), DType.Float32))));
        Assert.Contains($"{model}: not a safetensors file", line);
    }

    [Fact]
    public void AModelFileWithAnUnreadableDTypeNamesTheTensor()
    {
        var model = RawSafeTensors.WriteTo(_folder.File("half.safetensors"),
            RawSafeTensors.Build("{\"weight_ih_l0\":{\"dtype\":\"F16\",\"shape\":[4,2],\"data_offsets\":[0,16]}}", 16, _rng));
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", TestRandom.Tensor(_rng, new Shape(2, 2, 2), DType.Float32))));
        Assert.Contains("tensor 'weight_ih_l0' has dtype F16", line);
    }

    [Fact]
    public void AModelMissingATensorNamesItWithItsShape()
    {
        var spec = RandomSpecs.Draw(_rng, RnnCellKind.Lstm) with { NumLayers = 2 };
        using var stack = new RnnStack(_cpu, spec);
        var model = _folder.File("model.safetensors");
        var kept = stack.StateDict().Where(kv => kv.Key != "weight_hh_l1").ToList();
        SafeTensors.Write(model, kept, RnnMetadata.From(spec));
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", X(spec, 2, 2))));
        Assert.Contains($"tensor 'weight_hh_l1' is missing (expected shape [{4 * spec.HiddenSize}, {spec.StateSize}]", line);
    }

    [Fact]
    public void AWrongInputSizeNamesBothSizes()
    {
        var (model, spec) = SaveModel(RnnCellKind.Gru);
        var wrong = spec.InputSize + _rng.Next(1, 4);
        var input = SaveInputs(("x", TestRandom.Tensor(_rng, new Shape(4, 3, wrong), DType.Float32)));
        var line = RunFails(ExitCodes.BadInput, model, input);
        Assert.Contains($"x has input size {wrong} (shape [4, 3, {wrong}]) but the model's input size is {spec.InputSize}", line);
    }

    [Fact]
    public void AnXOfTheWrongRankIsRefusedWithTheExpectedLayout()
    {
        var (model, spec) = SaveModel(RnnCellKind.RnnRelu);
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", TestRandom.Tensor(_rng, new Shape(5, spec.InputSize), DType.Float32))));
        Assert.Contains($"x has shape [5, {spec.InputSize}] but a rank-3 tensor [T, B, {spec.InputSize}]", line);
    }

    [Fact]
    public void AnH0OfTheWrongShapeNamesBothShapes()
    {
        var (model, spec) = SaveModel(RnnCellKind.Lstm);
        int steps = _rng.Next(2, 6), batch = _rng.Next(1, 4);
        var states = spec.NumLayers * spec.Directions;
        var wrong = new Shape(states, batch + 1, spec.StateSize);
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", X(spec, steps, batch)), ("h0", TestRandom.Tensor(_rng, wrong, DType.Float32))));
        Assert.Contains($"h0 has shape {wrong} but {new Shape(states, batch, spec.StateSize)} ([L*D, B, ", line);
    }

    [Fact]
    public void AC0ForACellWithoutCellStateIsRefused()
    {
        var (model, spec) = SaveModel(RnnCellKind.Gru);
        var c0 = TestRandom.Tensor(_rng, new Shape(spec.NumLayers * spec.Directions, 2, spec.HiddenSize), DType.Float32);
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", X(spec, 3, 2)), ("c0", c0)));
        Assert.Contains("has c0 but the model is a gru, which has no cell state", line);
    }

    [Fact]
    public void ALengthLongerThanTheSequenceNamesTheLengthAndT()
    {
        var (model, spec) = SaveModel(RnnCellKind.RnnTanh);
        int steps = _rng.Next(2, 7), batch = _rng.Next(2, 5), bad = _rng.Next(batch);
        var lengths = Enumerable.Range(0, batch).Select(_ => _rng.Next(1, steps + 1)).ToArray();
        lengths[bad] = steps + _rng.Next(1, 4);
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", X(spec, steps, batch)), ("lengths", HostTensor.FromArray(lengths, new Shape(batch)))));
        Assert.Contains($"lengths[{bad}] is {lengths[bad]} but x has only {steps} time steps (T)", line);
    }

    [Fact]
    public void AZeroLengthIsRefused()
    {
        var (model, spec) = SaveModel(RnnCellKind.Lstm);
        int steps = _rng.Next(2, 7), batch = _rng.Next(2, 5), bad = _rng.Next(batch);
        var lengths = Enumerable.Range(0, batch).Select(_ => _rng.Next(1, steps + 1)).ToArray();
        lengths[bad] = 0;
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", X(spec, steps, batch)), ("lengths", HostTensor.FromArray(lengths, new Shape(batch)))));
        Assert.Contains($"lengths[{bad}] is 0 but every sequence needs at least 1 step", line);
    }

    [Fact]
    public void LengthsOfTheWrongCountNameTheBatchSize()
    {
        var (model, spec) = SaveModel(RnnCellKind.Gru);
        var batch = _rng.Next(2, 5);
        var lengths = HostTensor.FromArray(Enumerable.Repeat(1, batch + 1).ToArray(), new Shape(batch + 1));
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", X(spec, 3, batch)), ("lengths", lengths)));
        Assert.Contains($"lengths has shape [{batch + 1}] but [{batch}] (one length per sequence, B = {batch}) was expected", line);
    }

    [Fact]
    public void FloatLengthsAreRefused()
    {
        var (model, spec) = SaveModel(RnnCellKind.Gru);
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", X(spec, 3, 2)), ("lengths", HostTensor.FromArray([1f, 2f], new Shape(2)))));
        Assert.Contains("lengths is F32 but an integer tensor (I32 or I64) was expected", line);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void ANonFiniteInputNamesTheTensorAndTheIndex(double value, string shown)
    {
        var (model, spec) = SaveModel(RnnCellKind.Lstm);
        int steps = _rng.Next(2, 6), batch = _rng.Next(1, 4);
        var x = X(spec, steps, batch, DType.Float64);
        int t = _rng.Next(steps), b = _rng.Next(batch), i = _rng.Next(spec.InputSize);
        x.AsFloat64()[(t * batch + b) * spec.InputSize + i] = value;
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", x)));
        Assert.Contains($"x[{t}, {b}, {i}] is {shown}; inputs must be finite numbers", line);
    }

    [Fact]
    public void ANaNInH0IsNamedToo()
    {
        var (model, spec) = SaveModel(RnnCellKind.Gru);
        var batch = _rng.Next(1, 4);
        var h0 = TestRandom.Tensor(_rng, new Shape(spec.NumLayers * spec.Directions, batch, spec.StateSize), DType.Float32);
        var at = _rng.Next((int)h0.ElementCount);
        h0.AsFloat32()[at] = float.NaN;
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", X(spec, 3, batch)), ("h0", h0)));
        Assert.Contains("h0[", line);
        Assert.Contains("] is NaN", line);
    }

    [Fact]
    public void AFloat64InputThatOverflowsAFloat32ModelIsRefused()
    {
        var (model, spec) = SaveModel(RnnCellKind.RnnTanh, DType.Float32);
        var x = X(spec, 2, 2, DType.Float64);
        x.AsFloat64()[0] = 1e300;
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", x)));
        Assert.Contains("x[0, 0, 0] is Infinity, which overflows float32, the model's dtype", line);
    }

    [Fact]
    public void AnInputFileWithoutXListsWhatItHolds()
    {
        var (model, spec) = SaveModel(RnnCellKind.Lstm);
        var h0 = TestRandom.Tensor(_rng, new Shape(spec.NumLayers * spec.Directions, 2, spec.StateSize), DType.Float32);
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("h0", h0)));
        Assert.Contains($"has no tensor 'x' (expected x [T, B, {spec.InputSize}], time-major; the file holds 'h0')", line);
    }

    [Fact]
    public void AnUnexpectedInputTensorIsNamed()
    {
        var (model, spec) = SaveModel(RnnCellKind.Gru);
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", X(spec, 3, 2)), ("h_0", TestRandom.Tensor(_rng, new Shape(1, 2, 3), DType.Float32))));
        Assert.Contains("unexpected tensor 'h_0' [1, 2, 3]", line);
    }

    [Fact]
    public void AnOutputFolderThatDoesNotExistIsRefusedBeforeRunning()
    {
        var (model, spec) = SaveModel(RnnCellKind.Gru);
        var output = Path.Combine(_folder.Path, "missing-dir", "y.safetensors");
        var line = Gpurnn.Run("run", "--model", model, "--input", SaveInputs(("x", X(spec, 3, 2))), "--output", output, "--backend", "cpu")
            .AssertFailed(ExitCodes.BadInput);
        Assert.Contains("missing-dir' does not exist", line);
    }

    [Fact]
    public void AMissingRequiredOptionIsAUsageError()
    {
        var line = Gpurnn.Run("run", "--model", "m.safetensors", "--output", "o.safetensors").AssertFailed(ExitCodes.Usage);
        Assert.Contains("--input", line);
    }

    [Fact]
    public void ACellOptionOtherThanTanhOrReluIsAUsageError()
    {
        var line = Gpurnn.Run("run", "--model", "m", "--input", "i", "--output", "o", "--cell", "lstm").AssertFailed(ExitCodes.Usage);
        Assert.Contains("'lstm'", line);
        Assert.Contains("rnn_relu", line);
    }

    [Fact]
    public void AReluCellOptionOnAnLstmModelNamesBoth()
    {
        var (model, spec) = SaveModel(RnnCellKind.Lstm);
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", X(spec, 3, 2))), "--cell", "rnn_relu");
        Assert.Contains("the cell asked for, rnn_relu, contradicts the tensors", line);
        Assert.Contains("which makes an lstm", line);
    }

    [Fact]
    public void AGruVariantOptionOnAnRnnModelIsRefused()
    {
        var (model, spec) = SaveModel(RnnCellKind.RnnTanh);
        var line = RunFails(ExitCodes.BadInput, model, SaveInputs(("x", X(spec, 3, 2))), "--gru-variant", "reset_before");
        Assert.Contains("a gru variant (reset_before) was asked for, but the model is an rnn", line);
    }
}
