using Xunit;

namespace GpuRnn.Tests.Golden;

/// <summary>
/// Every backend against PyTorch's own numbers (tests/golden/make_golden.py): forward outputs and
/// the gradients of a random linear functional of y, hn and cn, for every cell PyTorch has, with
/// several layers, both directions, no bias, initial states and variable lengths.
/// </summary>
public class GoldenTests
{
    // Every case on every backend that computes in its dtype (see TestBackends.Lists).
    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var file in GoldenCase.FileNames())
            {
                var dtype = SafeTensors.ReadHeader(Path.Combine(GoldenCase.Folder, file)).Tensors.First(t => t.Name == "weight_ih_l0").DType;
                foreach (var row in TestBackends.Names)
                    if (TestBackends.Lists(row.Data, dtype)) data.Add(file, row.Data);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesPyTorch(string file, string backendName)
    {
        var backend = TestBackends.Get(backendName);
        var golden = GoldenCase.Load(file);
        golden.SkipUnlessSupported(backend);
        using var stack = RnnModelFile.FromTensors(golden.Weights, golden.Metadata, backend, source: file);
        using var inputs = GoldenInputs.Upload(golden, backend);

        using var output = stack.Forward(inputs.X, inputs.H0, inputs.C0, inputs.Lengths);

        var tolerance = golden.Tolerances.Forward;
        golden.AssertMatches(output.Output.ToHost(), "y", tolerance, backendName);
        golden.AssertMatches(output.Hidden.ToHost(), "hn", tolerance, backendName);
        Assert.Equal(golden.File.Contains("cn"), output.Cell is not null);
        if (output.Cell is not null) golden.AssertMatches(output.Cell.ToHost(), "cn", tolerance, backendName);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardMatchesPyTorch(string file, string backendName)
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
