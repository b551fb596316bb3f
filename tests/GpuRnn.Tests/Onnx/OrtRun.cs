using Microsoft.ML.OnnxRuntime;

namespace GpuRnn.Tests.Onnx;

/// <summary>Runs an ONNX model in ONNX Runtime on host arrays and returns its float32 outputs as float64 with their shapes.</summary>
public static class OrtRun
{
    /// <summary>One output: values row-major and the shape.</summary>
    public sealed record Output(double[] Values, long[] Shape);

    /// <summary>A graph input: <c>long[]</c>, <c>int[]</c> or <c>float[]</c> values with their shape.</summary>
    public sealed record Input(string Name, Array Values, params long[] Shape);

    /// <summary>Runs <paramref name="session"/> on <paramref name="inputs"/> and returns every output asked for, by name.</summary>
    public static Dictionary<string, Output> Run(InferenceSession session, IReadOnlyList<Input> inputs, params string[] outputs)
    {
        var values = inputs.Select(i => i.Values switch
        {
            long[] l => OrtValue.CreateTensorValueFromMemory(l, i.Shape),
            int[] n => OrtValue.CreateTensorValueFromMemory(n, i.Shape),
            float[] f => OrtValue.CreateTensorValueFromMemory(f, i.Shape),
            _ => throw new ArgumentException($"input {i.Name}: unsupported {i.Values.GetType().Name}"),
        }).ToArray();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), values, outputs);
            var map = new Dictionary<string, Output>();
            for (var k = 0; k < outputs.Length; k++)
                map[outputs[k]] = new Output(results[k].GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v).ToArray(),
                    results[k].GetTensorTypeAndShape().Shape);
            return map;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>Float32 copies of float64 values (a state fed back, features).</summary>
    public static float[] Floats(IEnumerable<double> values) => values.Select(v => (float)v).ToArray();
}
