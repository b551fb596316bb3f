using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GpuRnn.Benchmarking;
using GpuRnn.Cli.Files;
using GpuRnn.Cpu;
using Spectre.Console;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// <c>gpurnn bench</c>: times the forward and forward+backward of the configurations on each
/// backend, side by side in one run, and prints a table with GFLOP/s and each backend's time
/// relative to the first.
/// </summary>
public static class BenchCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var backends = new Option<string?>("--backend") { Description = "Comma-separated backends to compare (default: every one present except the ilgpu-cpu emulator)" };
        var configs = new Option<string?>("--configs") { Description = $"Comma-separated configurations: {string.Join(", ", BenchConfig.Named.Select(c => c.Name))}, or cell:I:H:B:T" };
        var threads = new Option<int>("--threads") { Description = "Threads of the CPU backend (default: all cores)", DefaultValueFactory = _ => 0 };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the rows as a JSON array to this file" };
        var reps = new Option<int>("--reps") { Description = "Timed repetitions per pass", DefaultValueFactory = _ => 7 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed repetitions first, at least", DefaultValueFactory = _ => 2 };
        var warmupTime = new Option<double>("--warmup-time") { Description = "Seconds the warm-up lasts at least, so .NET's JIT has settled (0 = the count alone)", DefaultValueFactory = _ => BenchRunner.DefaultWarmupSeconds };
        var command = new Command("bench", "Time forward and forward+backward on each backend, side by side") { backends, configs, threads, json, reps, warmup, warmupTime };
        command.SetAction(parse => Execute(console, parse.GetValue(backends), parse.GetValue(configs), parse.GetValue(threads),
            parse.GetValue(json), parse.GetValue(reps), parse.GetValue(warmup), parse.GetValue(warmupTime)));
        return command;
    }

    /// <summary>Runs the bench; returns the exit code.</summary>
    public static int Execute(CliConsole console, string? backendList, string? configList, int threads, FileInfo? json, int reps, int warmup,
        double warmupTime = BenchRunner.DefaultWarmupSeconds)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (threads < 0) throw new CliException($"--threads must be zero (all cores) or positive, got {threads}", ExitCodes.Usage);
        if (reps <= 0) throw new CliException($"--reps must be positive, got {reps}", ExitCodes.Usage);
        if (warmup < 0) throw new CliException($"--warmup must be zero or more, got {warmup}", ExitCodes.Usage);
        if (!(warmupTime >= 0) || !double.IsFinite(warmupTime))
            throw new CliException($"--warmup-time must be zero or more seconds, got {warmupTime.ToString(CultureInfo.InvariantCulture)}", ExitCodes.Usage);
        new CommandFiles().Output("--json", json?.FullName).Check();
        if (json?.Directory is { Exists: false } dir) throw new CliException($"--json {json.FullName}: directory '{dir.FullName}' does not exist");

        if (IsUnoptimizedBuild())
            console.Out.WriteLine("warning: this gpurnn is a Debug build, so the times below are not representative; use -c Release");
        var names = ChooseBackends(backendList);
        var backends = new List<IBackend>();
        try
        {
            foreach (var name in names)
            {
                var backend = BackendChoice.Parse(name).Name == "cpu" ? new CpuBackend(threads) : Backend.Create(name);
                backends.Add(backend);
                console.Out.WriteLine($"backend: {backend.Name} ({backend.Description})");
            }
            var hasGpu = backends.Any(b => b.Name is "cuda" or "opencl");
            var chosen = configList is null
                ? (hasGpu ? BenchConfig.Named : BenchConfig.CpuDefaults)
                : Split(configList).Select(ParseConfig).ToList();
            var rows = Measure(console, backends, chosen, new BenchRunner(warmup, reps, warmupTime));
            PrintTable(console, rows);
            if (json is not null) WriteJson(json.FullName, rows);
            return ExitCodes.Ok;
        }
        finally
        {
            foreach (var b in backends) b.Dispose();
        }
    }

    private static bool IsUnoptimizedBuild() =>
        typeof(CpuBackend).Assembly.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
            .OfType<System.Diagnostics.DebuggableAttribute>().Any(d => d.IsJITOptimizerDisabled);

    private static List<string> ChooseBackends(string? list)
    {
        var infos = Backend.Probe();
        if (list is null)
            return infos.Where(i => i.IsAvailable && i.Name != "ilgpu-cpu").Select(i => i.Name).ToList();
        var names = Split(list).Select(n => n.ToLowerInvariant()).Distinct().ToList();
        if (names.Count == 0) throw new CliException("--backend names no backend", ExitCodes.Usage);
        return names;
    }

    private static BenchConfig ParseConfig(string text)
    {
        try { return BenchConfig.Parse(text); }
        catch (ArgumentException e) { throw new CliException(e.Message, ExitCodes.Usage); }
    }

    private static IEnumerable<string> Split(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static List<BenchRow> Measure(CliConsole console, List<IBackend> backends, IReadOnlyList<BenchConfig> configs, BenchRunner runner)
    {
        var rows = new List<BenchRow>();
        var jobs = (from c in configs from p in new[] { BenchPass.Forward, BenchPass.ForwardBackward } from b in backends select (c, p, b)).ToList();
        if (!CliDisplay.IsInteractive(console))
        {
            foreach (var (config, pass, backend) in jobs)
            {
                var row = runner.Run(backend, config, pass);
                rows.Add(row);
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{row.Config,-14} {row.Impl,-10} {row.Pass,-8} {row.MedianMs,10:F2} ms {row.Gflops,8:F1} GFLOP/s"));
            }
            return rows;
        }
        CliDisplay.For(console).Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var total = ctx.AddTask("bench", maxValue: jobs.Count * (runner.Warmup + runner.Repetitions));
                foreach (var (config, pass, backend) in jobs)
                {
                    total.Description = $"{config.Name} {backend.Name} {BenchRow.PassName(pass)}";
                    rows.Add(runner.Run(backend, config, pass, onRepetition: () => total.Increment(1)));
                }
            });
        return rows;
    }

    /// <summary>Prints the rows as a table with each implementation's time relative to the first of its config and pass.</summary>
    public static void PrintTable(CliConsole console, IReadOnlyList<BenchRow> rows)
    {
        var table = new Table().AddColumns("config", "impl", "pass", "median ms", "min..max ms", "GFLOP/s", "ratio");
        foreach (var row in rows)
        {
            var first = rows.First(r => r.Config == row.Config && r.Pass == row.Pass);
            table.AddRow(row.Config, row.Impl, row.Pass,
                row.MedianMs.ToString("F2", CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{row.MinMs:F2}..{row.MaxMs:F2}"),
                row.Gflops.ToString("F1", CultureInfo.InvariantCulture),
                (row.MedianMs / first.MedianMs).ToString("F2", CultureInfo.InvariantCulture) + "x");
        }
        CliDisplay.For(console).Write(table);
        console.Out.WriteLine("ratio: median time relative to the first implementation of the same config and pass (lower is faster)");
    }

    /// <summary>Writes the rows as a JSON array (atomically).</summary>
    public static void WriteJson(string path, IReadOnlyList<BenchRow> rows)
    {
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllText(temp, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }
}
