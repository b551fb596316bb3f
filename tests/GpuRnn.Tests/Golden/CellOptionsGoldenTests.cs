using Xunit;

namespace GpuRnn.Tests.Golden;

/// <summary>
/// Every backend that runs cell options against tests/golden/make_golden_cells.py, whose cells are
/// written out by hand in PyTorch autograd: layer-norm LSTM (peepholes, projection) and GRU, cell
/// clipping, and zoneout in evaluation (LSTM, both GRU forms) (its expectation; forward only, since the training masks are
/// GpuRnn's own draws), with several layers, both directions, initial states and variable lengths.
/// </summary>
public class CellOptionsGoldenTests
{
    /// <summary>The backends that run layers with cell options (the others refuse them by name).</summary>
    public static readonly string[] CellBackends = ["cpu", "ilgpu-cpu", "cuda", "opencl"];

    private const string SubFolder = "cells";

    /// <summary>Every cell-option case (the forward theory) on every such backend in its dtype.</summary>
    public static TheoryData<string, string> Cases => Rows(withGradients: false);

    /// <summary>The cases that hold gradients (those without zoneout).</summary>
    public static TheoryData<string, string> GradientCases => Rows(withGradients: true);

    private static TheoryData<string, string> Rows(bool withGradients)
    {
        var folder = Path.Combine(GoldenCase.Folder, SubFolder);
        var files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.safetensors").Order(StringComparer.Ordinal).ToList() : [];
        // A missing folder must fail loudly, never make the theories vanish.
        if (files.Count == 0) throw new InvalidOperationException($"no cell-option golden cases in {folder}; run tests/golden/make_golden_cells.py and rebuild");
        var data = new TheoryData<string, string>();
        foreach (var path in files)
        {
            var header = SafeTensors.ReadHeader(path);
            if (withGradients && !header.Tensors.Any(t => t.Name == "grad.x")) continue;
            var dtype = header.Tensors.First(t => t.Name == "weight_ih_l0").DType;
            foreach (var row in TestBackends.Names)
                if (CellBackends.Contains(row.Data) && TestBackends.Lists(row.Data, dtype)) data.Add($"{SubFolder}/{Path.GetFileName(path)}", row.Data);
        }
        return data;
    }

    [Fact]
    public void EveryOptionHasACase()
    {
        var metadata = Directory.GetFiles(Path.Combine(GoldenCase.Folder, SubFolder), "*.safetensors")
            .Select(p => SafeTensors.ReadHeader(p).Metadata).ToList();
        foreach (var key in new[] { "layer_norm", "zoneout", "zoneout_cell", "cell_clip" })
            Assert.Contains(metadata, m => m.ContainsKey(key));
        Assert.Contains(metadata, m => m["cell"] == "gru" && m.ContainsKey("layer_norm"));
        Assert.Contains(metadata, m => m.GetValueOrDefault("gru_variant") == "reset_before" && m.ContainsKey("zoneout"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesReference(string file, string backendName)
    {
        var backend = TestBackends.Get(backendName);
        var golden = GoldenCase.Load(file);
        golden.SkipUnlessSupported(backend);
        using var stack = RnnModelFile.FromTensors(golden.Weights, golden.Metadata, backend, source: file);
        Assert.True(stack.Spec.LayerNorm || stack.Spec.Zoneout > 0 || stack.Spec.CellClip > 0, $"{file} has no cell option");
        using var inputs = GoldenInputs.Upload(golden, backend);

        using var output = stack.Forward(inputs.X, inputs.H0, inputs.C0, inputs.Lengths);

        var tolerance = golden.Tolerances.Forward;
        golden.AssertMatches(output.Output.ToHost(), "y", tolerance, backendName);
        golden.AssertMatches(output.Hidden.ToHost(), "hn", tolerance, backendName);
        Assert.Equal(golden.File.Contains("cn"), output.Cell is not null);
        if (output.Cell is not null) golden.AssertMatches(output.Cell.ToHost(), "cn", tolerance, backendName);
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void BackwardMatchesReference(string file, string backendName)
    {
        var backend = TestBackends.Get(backendName);
        var golden = GoldenCase.Load(file);
        golden.SkipUnlessSupported(backend);
        using var stack = RnnModelFile.FromTensors(golden.Weights, golden.Metadata, backend, source: file);
        using var inputs = GoldenInputs.Upload(golden, backend);
        stack.ZeroGrad();

        using var output = stack.Forward(inputs.X, inputs.H0, inputs.C0, inputs.Lengths, training: true);
        golden.AssertMatches(output.Output.ToHost(), "y", golden.Tolerances.Forward, backendName);
        using var dy = golden.File["wy"].ToDevice(backend);
        using var dhN = golden.File["wh"].ToDevice(backend);
        using var dcN = golden.Optional("wc")?.ToDevice(backend);
        using var grads = stack.Backward(dy, dhN, dcN);

        var tolerance = golden.Tolerances.Gradient;
        golden.AssertMatches(grads.Input!.ToHost(), "grad.x", tolerance, backendName);
        Assert.Equal(golden.File.Contains("grad.h0"), grads.Hidden is not null);
        if (grads.Hidden is not null) golden.AssertMatches(grads.Hidden.ToHost(), "grad.h0", tolerance, backendName);
        Assert.Equal(golden.File.Contains("grad.c0"), grads.Cell is not null);
        if (grads.Cell is not null) golden.AssertMatches(grads.Cell.ToHost(), "grad.c0", tolerance, backendName);
        Assert.Equal(golden.Weights.Count, stack.Parameters.Count);
        foreach (var p in stack.Parameters) golden.AssertMatches(p.Gradient.ToHost(), "grad." + p.Name, tolerance, backendName);
    }
}
