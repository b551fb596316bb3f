using System.CommandLine;
using System.Globalization;
using BenchmarkDotNet.Running;
using GpuRnn.Bench.Peers;
using GpuRnn.Benchmarking;
using GpuRnn.Cli;
using GpuRnn.Cli.Commands;
using GpuRnn.Cpu;

namespace GpuRnn.Bench;

/// <summary>
/// <c>compare</c>: GpuRnn's backends and the peers (ONNX Runtime, PyTorch on the CPU, cuDNN) timed
/// side by side in one run on the same weights and inputs, with the machine's sgemm rate as the
/// reference limit. <c>kernels</c>: the BenchmarkDotNet suite (GEMM and layer kernels).
/// <c>mpi-sum</c> (under mpirun): the fixed-order sum against MPI_Allreduce. <c>mpi-train</c>:
/// data-parallel training steps of a 2-layer LSTM 512 against the fixed-order sum of its gradient.
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "kernels")
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..]);
            return 0;
        }
        if (args.Length > 0 && args[0] == "mpi-sum") return Mpi.SumBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "mpi-train") return Mpi.TrainBench.Run(args[1..]);
        var console = new CliConsole(Console.Out, Console.Error);
        var backends = new Option<string>("--backend") { Description = "GpuRnn backends", DefaultValueFactory = _ => "cpu" };
        var configs = new Option<string>("--configs") { Description = "Configurations", DefaultValueFactory = _ => "lstm-med,gru-med,lstm-small,lstm-b1" };
        var peers = new Option<string>("--peers") { Description = "Peers: onnxruntime, pytorch, cudnn, cudnn-tf32", DefaultValueFactory = _ => "onnxruntime,pytorch" };
        var threads = new Option<int>("--threads") { Description = "CPU threads for every implementation (0 = all)", DefaultValueFactory = _ => 0 };
        var reps = new Option<int>("--reps") { DefaultValueFactory = _ => 7, Description = "Timed repetitions" };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 2, Description = "Untimed repetitions, at least" };
        var warmupTime = new Option<double>("--warmup-time") { DefaultValueFactory = _ => BenchRunner.DefaultWarmupSeconds, Description = "Seconds every implementation warms up at least (0 = the count alone)" };
        var sgemm = new Option<int>("--sgemm") { Description = "Also time n^3 sgemm (GpuRnn's CPU GEMM and the peers' BLAS); 0 = skip", DefaultValueFactory = _ => 2048 };
        var json = new Option<FileInfo?>("--json") { Description = "Write the rows as JSON" };
        var compare = new Command("compare", "GpuRnn and its peers, side by side") { backends, configs, peers, threads, reps, warmup, warmupTime, sgemm, json };
        compare.SetAction(p => CliErrors.Guard(console, () => Compare(console, p.GetValue(backends)!, p.GetValue(configs)!, p.GetValue(peers)!,
            new PeerSettings(p.GetValue(threads), p.GetValue(warmup), p.GetValue(reps), p.GetValue(warmupTime)), p.GetValue(sgemm), p.GetValue(json))));
        var root = new RootCommand("GpuRnn bench: side-by-side comparison with peers, and the BenchmarkDotNet kernel suite ('kernels')") { compare };
        return root.Parse(args.Length == 0 ? ["compare"] : args).Invoke();
    }

    private static int Compare(CliConsole console, string backendList, string configList, string peerList, PeerSettings settings, int sgemm, FileInfo? json)
    {
        var configs = Split(configList).Select(BenchConfig.Parse).ToList();
        var backends = Split(backendList).Select(n => BackendChoice.Parse(n).Name == "cpu" ? new CpuBackend(settings.Threads) : Backend.Create(n)).ToList();
        var peers = Split(peerList).Select(n => CreatePeer(n, settings)).ToList();
        try
        {
            console.Out.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} logical CPUs; threads: {settings.ResolvedThreads}");
            foreach (var b in backends) console.Out.WriteLine($"backend: {b.Name} ({b.Description})");
            foreach (var p in peers.Where(p => p.UnavailableReason is not null)) console.Out.WriteLine($"peer {p.Name}: skipped ({p.UnavailableReason})");
            var runnable = peers.Where(p => p.UnavailableReason is null).ToList();
            var runner = new BenchRunner(settings.Warmup, settings.Repetitions, settings.WarmupSeconds);
            var rows = new List<BenchRow>();
            foreach (var config in configs)
            {
                foreach (var pass in new[] { BenchPass.Forward, BenchPass.ForwardBackward })
                {
                    foreach (var b in backends) Report(console, rows, runner.Run(b, config, pass));
                    foreach (var p in runnable)
                    {
                        if (p.Run(config, pass) is { } row) Report(console, rows, row);
                    }
                }
            }
            if (sgemm > 0) SgemmRows(console, rows, backends, runnable, sgemm);
            BenchCommand.PrintTable(console, rows);
            if (json is not null) BenchCommand.WriteJson(json.FullName, rows);
            return 0;
        }
        finally
        {
            foreach (var b in backends) b.Dispose();
            foreach (var p in peers) p.Dispose();
        }
    }

    /// <summary>The machine's limit: n^3 sgemm by GpuRnn's backends and by the peers' BLAS.</summary>
    private static void SgemmRows(CliConsole console, List<BenchRow> rows, List<IBackend> backends, List<IBenchPeer> peers, int n)
    {
        var flops = 2.0 * n * n * n;
        var config = $"sgemm-{n}";
        foreach (var b in backends)
        {
            using var a = BenchRunner.Random(new Shape(n, n), 5).ToDevice(b, new Shape(n, n));
            using var c = b.Allocate(new Shape(n, n), DType.Float32);
            var times = new List<double>();
            for (var i = -1; i < 5; i++)
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                b.Gemm(a, false, a, false, c);
                b.Synchronize();
                if (i >= 0) times.Add(sw.Elapsed.TotalMilliseconds);
            }
            Report(console, rows, BenchRow.FromTimes(config, b.Name, BenchPass.Forward, times, flops) with { Pass = "gemm" });
        }
        foreach (var p in peers.OfType<PyTorchPeer>())
        {
            var gflops = p.SgemmGflops(n);
            var ms = flops / (gflops * 1e6);
            Report(console, rows, new BenchRow(config, p.Name + "-blas", "gemm", ms, ms, ms, gflops));
        }
    }

    private static void Report(CliConsole console, List<BenchRow> rows, BenchRow row)
    {
        rows.Add(row);
        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{row.Config,-14} {row.Impl,-12} {row.Pass,-8} {row.MedianMs,10:F2} ms {row.Gflops,8:F1} GFLOP/s"));
    }

    private static IBenchPeer CreatePeer(string name, PeerSettings settings) => name switch
    {
        "onnxruntime" => new OnnxRuntimePeer(settings),
        "pytorch" => new PyTorchPeer(settings, "cpu"),
        "cudnn" => new PyTorchPeer(settings, "cuda"),
        "cudnn-tf32" => new PyTorchPeer(settings, "cuda", tf32: true),
        _ => throw new CliException($"unknown peer '{name}' (expected onnxruntime, pytorch, cudnn or cudnn-tf32)", ExitCodes.Usage),
    };

    private static IEnumerable<string> Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
