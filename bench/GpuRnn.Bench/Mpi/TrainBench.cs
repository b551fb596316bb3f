using System.Diagnostics;
using System.Globalization;
using GpuRnn.Cpu;
using GpuRnn.Mpi;

namespace GpuRnn.Bench.Mpi;

/// <summary>
/// <c>[mpirun -np P] GpuRnn.Bench mpi-train [--steps N] [--batch B] [--seq T] [--threads K]</c>:
/// data-parallel training steps of a 2-layer LSTM 512 character model (vocabulary 65, embedding 64)
/// on the CPU backend (K threads per rank) over random text, global batch B, and in the same run the
/// fixed-order sum of a buffer of its gradient's size by itself. Rank 0 prints the median step, the
/// median sum (the slowest rank's, after a barrier), the sum's share of the step and the characters
/// per second of the whole job. The first two steps are warm-up and not counted. Without mpirun it
/// is one process (the sum is then free).
/// </summary>
public static class TrainBench
{
    /// <summary>Runs the measurement on every rank; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        var (steps, batch, seq, threads) = (Arg("--steps", 10), Arg("--batch", 16), Arg("--seq", 32), Arg("--threads", 1));
        using var comm = MpiCommunicator.FromEnvironment();
        using var backend = new CpuBackend(threads);
        var architecture = new CharModelSpec(RnnCellKind.Lstm, VocabSize: 65, EmbeddingSize: 64, HiddenSize: 512, NumLayers: 2);
        var rng = new Random(5);
        int[] Text(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(65)).ToArray();
        var data = new StreamTaskData("random text", Text(batch * seq * (steps + 3)), Text(4 * seq), seq);
        using var model = new CharRnnModel(backend, CharLmTask.Spec(architecture), 1);
        var options = new TrainingOptions(batch, seq, steps + 2, Clip: 5, EvalEvery: 0, EvalMaxCharacters: seq);
        using var trainer = new Trainer(model, data, new OptimizerConfig(), new LearningRateSchedule(0.002), options, comm);
        var times = new List<double>();
        var result = trainer.Run(new StepTimes(times));
        if (result.Status != TrainingStatus.Completed) throw new InvalidOperationException($"training ended {result.Status}: {result.Message}");
        var stepMsAll = times.Skip(2).Select(s => s * 1000).ToArray();
        var sums = comm is MpiCommunicator mpi ? TimeSums(mpi, (int)architecture.ParameterCount, 10) : [0.0];
        // The median and the fastest: on a loaded machine the fastest is the closer estimate of the uncontended cost.
        var (stepMs, sumMs, stepFastest, sumFastest) = (Median(stepMsAll), Median(sums), stepMsAll.Min(), sums.Min());
        if (comm.Rank == 0)
        {
            Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {comm.Description}; {threads} CPU thread(s) per rank; {Environment.ProcessorCount} logical CPUs");
            Console.WriteLine("| ranks | threads per rank | global batch x seq | training step, ms (median, fastest) | fixed-order sum of the gradient, ms (median, fastest) | sum / step (medians, fastest) | chars/s (median, fastest step) |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {comm.Size} | {threads} | {batch} x {seq} | {stepMs:0.0}, {stepFastest:0.0} | {sumMs:0.00}, {sumFastest:0.00} | {100 * sumMs / stepMs:0.0}%, {100 * sumFastest / stepFastest:0.0}% | {batch * seq / (stepMs / 1000):N0}, {batch * seq / (stepFastest / 1000):N0} |"));
        }
        return 0;
    }

    // The slowest rank's milliseconds of each sum of `count` floats, after a barrier; two untimed first.
    private static double[] TimeSums(MpiCommunicator comm, int count, int reps)
    {
        var values = new float[count];
        var times = new double[reps];
        var (mine, all) = (new double[1], new double[comm.Size]);
        for (var rep = -2; rep < reps; rep++)
        {
            Array.Fill(values, 1e-3f * (comm.Rank + 1));
            comm.Barrier();
            var clock = Stopwatch.StartNew();
            comm.SumInPlace(values);
            mine[0] = clock.Elapsed.TotalMilliseconds;
            comm.Allgather<double>(mine, all);
            if (rep >= 0) times[rep] = all.Max();
        }
        return times;
    }

    private static double Median(double[] times)
    {
        var sorted = times.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed class StepTimes(List<double> seconds) : ITrainingObserver
    {
        public void OnStep(in StepReport report) => seconds.Add(report.Seconds);

        public void OnEvaluation(in EvaluationReport report) { }

        public void OnCheckpoint(TrainingLoop trainer) { }
    }
}
