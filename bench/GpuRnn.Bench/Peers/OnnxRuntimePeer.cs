using System.Diagnostics;
using GpuRnn.Benchmarking;
using Microsoft.ML.OnnxRuntime;

namespace GpuRnn.Bench.Peers;

/// <summary>
/// ONNX Runtime's CPU LSTM/GRU/RNN kernels on GpuRnn's exported graph: the same weights, the same
/// input, intra-op threads as given, inter-op 1. Forward only (it has no training pass).
/// </summary>
public sealed class OnnxRuntimePeer(PeerSettings settings) : IBenchPeer
{
    /// <inheritdoc/>
    public string Name => "onnxruntime";

    /// <inheritdoc/>
    public string? UnavailableReason => null;

    /// <inheritdoc/>
    public BenchRow? Run(BenchConfig config, BenchPass pass)
    {
        // The exporter refuses layer norm (ONNX's LSTM has none): such a configuration is GpuRnn's alone.
        if (pass != BenchPass.Forward || config.LayerNorm) return null;
        using var options = new SessionOptions
        {
            IntraOpNumThreads = settings.ResolvedThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var session = new InferenceSession(OnnxExporter.Export(config.Spec, BenchInputs.Weights(config)), options);
        var x = BenchInputs.Input(config);
        using var input = OrtValue.CreateTensorValueFromMemory(x.AsFloat32(), [config.Steps, config.Batch, config.InputSize]);
        using var runOptions = new RunOptions();
        string[] inputNames = ["x"];
        string[] outputNames = ["y"];
        OrtValue[] inputs = [input];
        var warming = Stopwatch.StartNew();
        for (var i = 0; settings.KeepWarming(i, warming.Elapsed); i++)
        {
            using (session.Run(runOptions, inputNames, inputs, outputNames)) { }
        }
        var times = new double[settings.Repetitions];
        for (var i = 0; i < settings.Repetitions; i++)
        {
            var sw = Stopwatch.StartNew();
            using (session.Run(runOptions, inputNames, inputs, outputNames)) { }
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        return BenchRow.FromTimes(config.Name, Name, pass, times, config.ForwardFlops);
    }

    /// <inheritdoc/>
    public void Dispose() { }
}
