using System.Text;
using GpuRnn.Cli;
using GpuRnn.Tests.IO;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// <c>gpurnn train --layer-norm / --zoneout / --zoneout-cell / --cell-clip</c>: the options reach the
/// model of every task (the checkpoint's spec has them, the first step's loss is another than without
/// them), the checkpoint reloads in eval and sample, and bad values and resumes that change them are refused.
/// </summary>
public sealed class TrainCellOptionsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string TextFile()
    {
        var path = _folder.File("text.txt");
        File.WriteAllText(path, ArithmeticCorpus.Generate(11, 300));
        return path;
    }

    // The training loss of step 1 (metrics.csv's second column), before any update: it depends on the cell alone.
    private static string FirstLoss(string checkpoint) =>
        File.ReadAllLines(Path.Combine(Path.GetDirectoryName(checkpoint)!, "metrics.csv"))[1].Split(',')[1];

    public static TheoryData<string[]> CharLmOptions => new(
        ["--layer-norm"], ["--zoneout", "0.2"], ["--zoneout-cell", "0.3"], ["--cell-clip", "0.05"]);

    [Theory]
    [MemberData(nameof(CharLmOptions))]
    public void EachOptionReachesTheCharacterModelAndItsCheckpointReloads(string[] option)
    {
        var data = TextFile();
        var plain = _folder.File("plain/model.safetensors");
        var checkpoint = _folder.File("run/model.safetensors");
        Gpurnn.Run(["train", "--data", data, "--steps", "3", "--out", plain, .. TrainCommandTests.Tiny]).AssertSucceeded();
        var result = Gpurnn.Run(["train", "--data", data, "--steps", "3", "--out", checkpoint, .. TrainCommandTests.Tiny, .. option]);
        result.AssertSucceeded();

        var spec = Checkpoint.Load(checkpoint).Spec;
        var value = option.Length > 1 ? double.Parse(option[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
        switch (option[0])
        {
            case "--layer-norm":
                Assert.True(spec.LayerNorm);
                Assert.Contains(", layer norm", result.Out);
                Assert.Contains("layer_norm_cell_weight_l0", Encoding.UTF8.GetString(File.ReadAllBytes(checkpoint)));
                break;
            case "--zoneout": Assert.Equal(value, spec.Zoneout); Assert.Contains(", zoneout 0.2", result.Out); break;
            case "--zoneout-cell": Assert.Equal(value, spec.ZoneoutCell); Assert.Contains(", cell zoneout 0.3", result.Out); break;
            default: Assert.Equal(value, spec.CellClip); Assert.Contains(", cell clip 0.05", result.Out); break;
        }
        Assert.Equal(spec.LayerNorm, spec.Rnn.LayerNorm);
        Assert.Equal((spec.Zoneout, spec.ZoneoutCell, spec.CellClip), (spec.Rnn.Zoneout, spec.Rnn.ZoneoutCell, spec.Rnn.CellClip));
        Assert.NotEqual(FirstLoss(plain), FirstLoss(checkpoint));

        var eval = Gpurnn.Run("eval", "--model", checkpoint, "--data", data, "--backend", "cpu");
        eval.AssertSucceeded();
        Assert.Contains("bits/char", eval.Out);
        var sample = Gpurnn.Run("sample", "--model", checkpoint, "--prime", "12+", "--length", "10", "--seed", "3", "--backend", "cpu");
        sample.AssertSucceeded();
        Assert.Contains("\n12+", sample.Out);
    }

    [Fact]
    public void TheSpecStoresTheOptionsOnlyWhenSetAndReadsThemBack()
    {
        var checkpoint = _folder.File("model.safetensors");
        Gpurnn.Run(["train", "--steps", "1", "--eval-every", "0", "--out", checkpoint, .. TrainCommandTests.Tiny]).AssertSucceeded();
        var plain = Checkpoint.Load(checkpoint).Spec;
        var json = plain.ToJson();
        foreach (var key in new[] { "layer_norm", "zoneout", "zoneout_cell", "cell_clip" }) Assert.DoesNotContain($"\"{key}\"", json);
        var random = new Random(18);
        var set = plain with { LayerNorm = true, Zoneout = random.NextDouble() * 0.9, ZoneoutCell = random.NextDouble() * 0.9, CellClip = 0.5 + random.NextDouble() };
        var back = TaskSpec.FromJson(set.ToJson());
        Assert.Equal((true, set.Zoneout, set.ZoneoutCell, set.CellClip), (back.LayerNorm, back.Zoneout, back.ZoneoutCell, back.CellClip));
        Assert.Equal(set.Rnn, back.Rnn);
        Assert.Equal(plain.Rnn, TaskSpec.FromJson(json).Rnn);

        // The character model's own terms (its description and parameter count, the older checkpoint form) keep them too.
        var architecture = CharLmTask.Architecture(set);
        Assert.Equal(architecture, CharModelSpec.FromJson(architecture.ToJson()));
        Assert.DoesNotContain("zoneout", CharLmTask.Architecture(plain).ToJson());
        foreach (var cell in new[] { RnnCellKind.Lstm, RnnCellKind.Gru })
        {
            var layerNorm = new CharModelSpec(cell, 7, 3, 5, NumLayers: 2, LayerNorm: true);
            using var backend = new GpuRnn.Cpu.CpuBackend();
            using var model = new CharRnnModel(backend, layerNorm);
            Assert.Equal(layerNorm.ParameterCount, model.Parameters.Sum(p => p.Value.ElementCount));
            Assert.True(layerNorm.ParameterCount > (layerNorm with { LayerNorm = false }).ParameterCount);
        }
    }

    [Fact]
    public void OnnxExportOfATaskModelWithACellOptionIsRefused()
    {
        var checkpoint = _folder.File("model.safetensors");
        var onnx = _folder.File("model.onnx");
        Gpurnn.Run(["train", "--task", "classify", "--steps", "1", "--layer-norm", "--out", checkpoint, .. TaskCommandTests.Tiny]).AssertSucceeded();
        var line = Gpurnn.Run("export", "--model", checkpoint, "--onnx", onnx).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("ONNX export: layer norm inside the cell (--layer-norm)", line);
        Assert.False(File.Exists(onnx));
    }

    public static TheoryData<string, string[]> OtherTaskOptions => new()
    {
        { "classify", ["--layer-norm"] },
        { "caption", ["--zoneout", "0.2", "--cell-clip", "0.5"] },
    };

    [Theory]
    [MemberData(nameof(OtherTaskOptions))]
    public void OtherTasksTrainWithTheOptions(string task, string[] options)
    {
        var plain = _folder.File("plain/model.safetensors");
        var checkpoint = _folder.File("run/model.safetensors");
        Gpurnn.Run(["train", "--task", task, "--steps", "2", "--out", plain, .. TaskCommandTests.Tiny]).AssertSucceeded();
        var result = Gpurnn.Run(["train", "--task", task, "--steps", "2", "--out", checkpoint, .. TaskCommandTests.Tiny, .. options]);
        result.AssertSucceeded();
        Assert.Contains("step 2/2", result.Out);
        var spec = Checkpoint.Load(checkpoint).Spec;
        if (task == "classify") Assert.True(spec.LayerNorm);
        else Assert.Equal((0.2, 0.5), (spec.Zoneout, spec.CellClip));
        Assert.NotEqual(FirstLoss(plain), FirstLoss(checkpoint));
        Gpurnn.Run("eval", "--model", checkpoint, "--backend", "cpu").AssertSucceeded();
    }

    public static TheoryData<string[], string> BadValues => new()
    {
        { ["--zoneout", "1"], "--zoneout must be in [0, 1), got 1" },
        { ["--zoneout", "-0.1"], "--zoneout must be in [0, 1), got -0.1" },
        { ["--zoneout-cell", "1.5"], "--zoneout-cell must be in [0, 1), got 1.5" },
        { ["--cell-clip", "0"], "--cell-clip must be a finite number > 0, got 0" },
        { ["--cell-clip", "-2"], "--cell-clip must be a finite number > 0, got -2" },
        { ["--cell", "gru", "--zoneout-cell", "0.1"], "--zoneout-cell needs --cell lstm (only an LSTM has a cell state), not gru" },
        { ["--cell", "gru", "--cell-clip", "1"], "--cell-clip needs --cell lstm (only an LSTM has a cell state), not gru" },
        { ["--cell", "rnn_tanh", "--layer-norm"], "--layer-norm needs --cell lstm or gru, not rnn_tanh" },
        { ["--cell", "rnn_relu", "--zoneout", "0.1"], "--zoneout needs --cell lstm or gru, not rnn_relu" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void BadValuesAreRefusedWithOneLine(string[] options, string message)
    {
        var checkpoint = _folder.File("out/model.safetensors");
        var line = Gpurnn.Run(["train", "--steps", "2", "--out", checkpoint, .. TrainCommandTests.Tiny, .. options]).AssertFailed(ExitCodes.Usage);
        Assert.Contains(message, line);
        Assert.False(File.Exists(checkpoint), "a refused run must not write a checkpoint");
    }

    [Fact]
    public void ResumingWithAnotherValueIsRefusedAndTheSameValueContinues()
    {
        var data = TextFile();
        var checkpoint = _folder.File("model.safetensors");
        var other = _folder.File("other/model.safetensors");
        Gpurnn.Run(["train", "--data", data, "--steps", "2", "--zoneout", "0.1", "--out", checkpoint, .. TrainCommandTests.Tiny]).AssertSucceeded();
        var before = File.ReadAllBytes(checkpoint);

        string Refused(params string[] options) =>
            Gpurnn.Run(["train", "--data", data, "--resume", checkpoint, "--steps", "4", "--out", other, .. options]).AssertFailed(ExitCodes.BadInput);
        Assert.Contains("--zoneout 0.2 does not match the checkpoint being resumed (zoneout 0.1)", Refused("--zoneout", "0.2"));
        Assert.Contains("--layer-norm true does not match the checkpoint being resumed (layer norm false)", Refused("--layer-norm"));
        Assert.Contains("--zoneout-cell 0.3 does not match the checkpoint being resumed (cell zoneout 0)", Refused("--zoneout-cell", "0.3"));
        Assert.Contains("--cell-clip 2 does not match the checkpoint being resumed (no cell clipping)", Refused("--cell-clip", "2"));
        Assert.False(File.Exists(other));
        Assert.Equal(before, File.ReadAllBytes(checkpoint));

        Gpurnn.Run(["train", "--data", data, "--resume", checkpoint, "--steps", "3", "--zoneout", "0.1", "--backend", "cpu"]).AssertSucceeded();
        var resumed = Checkpoint.Load(checkpoint);
        Assert.Equal(3, resumed.Step);
        Assert.Equal(0.1, resumed.Spec.Zoneout);
    }
}
