using System.Diagnostics;
using System.Globalization;
using GpuRnn.Mpi;

namespace GpuRnn.Bench.Mpi;

/// <summary>
/// <c>mpirun -np P GpuRnn.Bench mpi-sum [--reps N]</c>: GpuRnn.Mpi's fixed-order sum against the
/// plain <c>MPI_Allreduce</c> on 1M floats and on the gradient of a 2-layer LSTM 512 character
/// model (vocabulary 65, embedding 64). A repetition's time is the slowest rank's, after a
/// barrier; rank 0 prints the median and the fastest of the repetitions.
/// </summary>
public static class SumBench
{
    /// <summary>Runs the measurement on every rank; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        var reps = args.Length == 2 && args[0] == "--reps" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
        using var comm = MpiCommunicator.World;
        var model = new CharModelSpec(RnnCellKind.Lstm, VocabSize: 65, EmbeddingSize: 64, HiddenSize: 512, NumLayers: 2);
        if (comm.Rank == 0)
        {
            Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {comm.Description}; {Environment.ProcessorCount} logical CPUs; {reps} repetitions");
            Console.WriteLine("| values | what | fixed-order sum, ms (median, fastest) | MPI_Allreduce, ms (median, fastest) | ratio of medians | MPI_Allreduce's sums with other bits |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        }
        foreach (var (count, what) in new[] { (1_000_000, "1M floats"), ((int)model.ParameterCount, "gradient of a 2-layer LSTM 512 character model (V 65, E 64)") })
        {
            var rng = new Random(17 + comm.Rank);
            var start = Enumerable.Range(0, count).Select(_ => (float)(2 * rng.NextDouble() - 1)).ToArray();
            var values = new float[count];
            var fixedOrder = Time(comm, reps, start, values, () => comm.SumInPlace(values));
            var plain = Time(comm, reps, start, values, () => comm.AllreduceSumInPlace(values));
            // How many of the plain allreduce's sums differ in their bits from the rank-order ones.
            var inOrder = start.ToArray();
            comm.SumInPlace(inOrder);
            start.CopyTo(values);
            comm.AllreduceSumInPlace(values);
            var differing = Enumerable.Range(0, count).Count(i => BitConverter.SingleToInt32Bits(values[i]) != BitConverter.SingleToInt32Bits(inOrder[i]));
            if (comm.Rank == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {count:N0} | {what} | {Median(fixedOrder):0.00}, {fixedOrder.Min():0.00} | {Median(plain):0.00}, {plain.Min():0.00} | {Median(fixedOrder) / Median(plain):0.0}x | {differing:N0} |"));
            }
        }
        return 0;
    }

    // Milliseconds of each repetition, the slowest rank's; three untimed repetitions first.
    private static double[] Time(MpiCommunicator comm, int reps, float[] start, float[] values, Action sum)
    {
        var times = new double[reps];
        var mine = new double[1];
        var all = new double[comm.Size];
        for (var rep = -3; rep < reps; rep++)
        {
            start.CopyTo(values);   // the same inputs every time (sums would otherwise grow each repetition)
            comm.Barrier();
            var clock = Stopwatch.StartNew();
            sum();
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
}
