using System.Globalization;
using System.Runtime.InteropServices;

using GpuRnn.Cpu;

namespace GpuRnn.MpiProbe;

/// <summary>
/// <c>train FOLDER TASK BATCH STEPS SEED [--resume PATH] [--checkpoint-every K] [--kill RANK@STEP] [--dropout P] [--optimizer adam|sgd] [--mismatch]</c>:
/// one rank of a data-parallel <see cref="TrainingJob"/> on the CPU backend (one thread). Each rank
/// writes the losses it saw (<c>losses.RANK.txt</c>) and its final weights (<c>weights.RANK.bin</c>);
/// rank 0 writes the checkpoints (<c>stepK.safetensors</c>, <c>final.safetensors</c>) through the
/// trainer. <c>--kill</c> makes that rank kill itself after that step.
/// </summary>
internal static class TrainingProbe
{
    public static int Execute(ICommunicator comm, string[] args)
    {
        var folder = args[1];
        // --mismatch: every rank but 0 is started with the next seed, as a job whose ranks were given different options.
        var seed = ulong.Parse(args[5], CultureInfo.InvariantCulture) + (args.Contains("--mismatch") && comm.Rank > 0 ? 1UL : 0);
        var settings = new TrainingJob.Settings(args[2], Int(args[3]), Int(args[4]), seed,
            Int(Option(args, "--checkpoint-every") ?? "0"), double.Parse(Option(args, "--dropout") ?? "0", CultureInfo.InvariantCulture),
            Option(args, "--optimizer") ?? "adam");
        var kill = Option(args, "--kill")?.Split('@').Select(Int).ToArray();
        using var backend = new CpuBackend(threads: 1);
        TrainingJob.Run run;
        try
        {
            run = TrainingJob.Create(backend, settings, comm);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"mpiprobe: error: {e.Message}");
            return 2;
        }
        using (run)
        {
            var trainer = run.Trainer;
            if (Option(args, "--resume") is { } resume) trainer.Restore(Checkpoint.Load(resume));
            var losses = new List<string>();
            var observer = new Observer(folder, comm.Rank, losses, kill);
            var result = trainer.Run(observer);
            if (result.Status != TrainingStatus.Completed) throw new InvalidOperationException($"training ended {result.Status}: {result.Message}");
            trainer.SaveCheckpoint(Path.Combine(folder, "final.safetensors"));
            File.WriteAllLines(Path.Combine(folder, $"losses.{comm.Rank}.txt"), losses);
            var weights = TrainingJob.Weights(run.Model);
            File.WriteAllBytes(Path.Combine(folder, $"weights.{comm.Rank}.bin"), MemoryMarshal.AsBytes(weights.AsSpan()).ToArray());
        }
        return 0;
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private sealed class Observer(string folder, int rank, List<string> losses, int[]? kill) : ITrainingObserver
    {
        public void OnStep(in StepReport report)
        {
            losses.Add(report.Loss.ToString("R", CultureInfo.InvariantCulture));
            if (kill is [var victim, var step] && victim == rank && report.Step == step) System.Diagnostics.Process.GetCurrentProcess().Kill();
        }

        public void OnEvaluation(in EvaluationReport report) =>
            losses.Add(string.Create(CultureInfo.InvariantCulture, $"validation {report.Step} {report.Validation.LossSum:R} {report.Validation.Correct:R} {report.Validation.Count}"));

        public void OnCheckpoint(TrainingLoop trainer) => trainer.SaveCheckpoint(Path.Combine(folder, $"step{trainer.Step}.safetensors"));
    }
}
