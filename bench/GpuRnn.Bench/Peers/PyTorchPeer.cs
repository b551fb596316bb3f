using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuRnn.Benchmarking;

namespace GpuRnn.Bench.Peers;

/// <summary>
/// PyTorch's nn.LSTM/GRU/RNN through <c>bench/peers/torch_peer.py</c> (python3 with torch), on the
/// CPU (<c>pytorch</c>) or on CUDA, which is cuDNN (<c>cudnn</c>, TF32 off; <c>cudnn-tf32</c>, on).
/// GpuRnn writes the weights, x and dy to a safetensors file the script loads, so every
/// implementation computes the same thing; the script times with CUDA events on the GPU.
/// </summary>
public sealed class PyTorchPeer : IBenchPeer
{
    private readonly PeerSettings _settings;
    private readonly string _device;
    private readonly bool _tf32;
    private readonly string _script;
    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "gpurnn-bench-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A PyTorch peer on <paramref name="device"/> (cpu or cuda).</summary>
    public PyTorchPeer(PeerSettings settings, string device, bool tf32 = false)
    {
        _settings = settings;
        _device = device;
        _tf32 = tf32;
        _script = FindScript();
        UnavailableReason = Probe();
    }

    /// <inheritdoc/>
    public string Name => _device == "cpu" ? "pytorch" : _tf32 ? "cudnn-tf32" : "cudnn";

    /// <inheritdoc/>
    public string? UnavailableReason { get; }

    /// <inheritdoc/>
    public BenchRow? Run(BenchConfig config, BenchPass pass)
    {
        if (config.LayerNorm) return null; // torch.nn.LSTM has no layer norm: nothing to set beside it
        Directory.CreateDirectory(_workDir);
        var file = Path.Combine(_workDir, config.Name.Replace(':', '_') + ".safetensors");
        if (!File.Exists(file))
        {
            var tensors = BenchInputs.Weights(config).ToList();
            tensors.Add(new("x", BenchInputs.Input(config)));
            tensors.Add(new("dy", BenchInputs.OutputGradient(config)));
            SafeTensors.Write(file, tensors, new Dictionary<string, string> { ["cell"] = config.Cell.ToName() });
        }
        var output = Python(_script, "--file", file, "--device", _device, "--pass", BenchRow.PassName(pass),
            "--threads", _settings.ResolvedThreads.ToString(CultureInfo.InvariantCulture),
            "--warmup", _settings.Warmup.ToString(CultureInfo.InvariantCulture),
            "--warmup-time", _settings.WarmupSeconds.ToString(CultureInfo.InvariantCulture),
            "--reps", _settings.Repetitions.ToString(CultureInfo.InvariantCulture),
            "--tf32", _tf32 ? "1" : "0");
        var times = JsonSerializer.Deserialize<double[]>(output.Trim().Split('\n')[^1])
            ?? throw new InvalidDataException($"torch_peer.py printed no times: {output}");
        return BenchRow.FromTimes(config.Name, Name, pass, times, pass == BenchPass.Forward ? config.ForwardFlops : config.TrainingFlops);
    }

    /// <summary>Times torch.mm at n x n x n on the device: the machine's BLAS (or cuBLAS) sgemm reference.</summary>
    public double SgemmGflops(int n)
    {
        var output = Python(_script, "--sgemm", n.ToString(CultureInfo.InvariantCulture), "--device", _device,
            "--threads", _settings.ResolvedThreads.ToString(CultureInfo.InvariantCulture), "--tf32", _tf32 ? "1" : "0");
        return double.Parse(output.Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Directory.Exists(_workDir)) Directory.Delete(_workDir, recursive: true);
    }

    private string? _python;

    /// <summary>Finds an interpreter with torch (and CUDA when asked): GPURNN_PYTHON, python3, then the system's /usr/bin/python3.</summary>
    private string? Probe()
    {
        if (!File.Exists(_script)) return $"{_script} not found";
        var check = _device == "cpu" ? "import torch" : "import torch; assert torch.cuda.is_available(), 'CUDA is not available to torch'";
        string? reason = null;
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable("GPURNN_PYTHON"), "python3", "/usr/bin/python3" })
        {
            if (string.IsNullOrEmpty(candidate)) continue;
            try
            {
                Run(candidate, "-c", check);
                _python = candidate;
                return null;
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                reason ??= e.Message;
            }
        }
        return reason;
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "peers", "torch_peer.py");
            if (File.Exists(candidate)) return candidate;
        }
        return Path.Combine("bench", "peers", "torch_peer.py");
    }

    private string Python(params string[] args) => Run(_python ?? "python3", args);

    private static string Run(string python, params string[] args)
    {
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{python} could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{python} {string.Join(' ', args.Take(2))} failed: {stderr.Trim().Split('\n')[^1]}");
        return stdout.Result;
    }
}
