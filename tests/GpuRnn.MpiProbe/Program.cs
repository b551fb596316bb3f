using System.Globalization;
using System.Runtime.InteropServices;
using GpuRnn;
using GpuRnn.Mpi;

// One rank of an MPI test job. Each operation reads this rank's input from <folder>/in.<rank>.bin
// (raw values the test wrote) and writes its result to <folder>/out.<rank>.bin for the test to
// check against its own computation; nothing is judged here.
//   info [--world]                          prints "rank R of S: description"
//   sum <folder> float|double <count>       the fixed-order sum of in.<rank>.<k>.bin, k < count (under mpirun)
//   broadcast <folder> <root>               rank <root>'s floats to every rank
//   allgather <folder>                      every rank's floats, in rank order
//   barrier <folder>                        rank 0 writes a file late; the others look for it after the barrier
//   die <rank>                              that rank kills itself (SIGKILL) while the others wait in a barrier
//   restart                                 World twice, then after Dispose once more (which must refuse)
//   train <folder> <task> ...               one rank of a data-parallel training run (TrainingProbe)
try
{
    using var comm = args.Contains("--world") ? MpiCommunicator.World : MpiCommunicator.FromEnvironment();
    var rank = comm.Rank;
    string In(string folder) => Path.Combine(folder, $"in.{rank}.bin");
    string Out(string folder) => Path.Combine(folder, $"out.{rank}.bin");
    switch (args[0])
    {
        case "info":
            Console.WriteLine($"rank {rank} of {comm.Size}: {comm.Description}");
            break;
        case "sum":
            // Inputs in.<rank>.<k>.bin for k = 0..count-1, one sum each; floats also through the
            // plain MPI_Allreduce (plain.<rank>.<k>.bin), which the test holds to a tolerance only.
            for (var k = 0; k < int.Parse(args[3], CultureInfo.InvariantCulture); k++)
            {
                var bytes = File.ReadAllBytes(Path.Combine(args[1], $"in.{rank}.{k}.bin"));
                if (args[2] == "double")
                {
                    var values = MemoryMarshal.Cast<byte, double>(bytes).ToArray();
                    comm.SumInPlace(values);
                    File.WriteAllBytes(Path.Combine(args[1], $"out.{rank}.{k}.bin"), MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
                }
                else
                {
                    var values = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
                    var plain = values.ToArray();
                    comm.SumInPlace(values);
                    if (comm is MpiCommunicator mpi) mpi.AllreduceSumInPlace(plain);
                    File.WriteAllBytes(Path.Combine(args[1], $"out.{rank}.{k}.bin"), MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
                    File.WriteAllBytes(Path.Combine(args[1], $"plain.{rank}.{k}.bin"), MemoryMarshal.AsBytes(plain.AsSpan()).ToArray());
                }
            }
            break;
        case "broadcast":
        {
            var values = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(In(args[1]))).ToArray();
            comm.Broadcast<float>(values, int.Parse(args[2], CultureInfo.InvariantCulture));
            File.WriteAllBytes(Out(args[1]), MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
            break;
        }
        case "allgather":
        {
            var mine = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(In(args[1]))).ToArray();
            var all = new float[comm.Size * mine.Length];
            comm.Allgather<float>(mine, all);
            File.WriteAllBytes(Out(args[1]), MemoryMarshal.AsBytes(all.AsSpan()).ToArray());
            break;
        }
        case "barrier":
        {
            var late = Path.Combine(args[1], "late.0");
            if (rank == 0)
            {
                Thread.Sleep(500);
                File.WriteAllText(late, "written before rank 0 entered the barrier");
            }
            comm.Barrier();
            File.WriteAllText(Out(args[1]), File.Exists(late) ? "seen" : "missing");
            break;
        }
        case "die":
            comm.Barrier();
            if (rank == int.Parse(args[1], CultureInfo.InvariantCulture)) System.Diagnostics.Process.GetCurrentProcess().Kill();
            comm.Barrier();   // never completes: the launcher must end the job
            break;
        case "restart":
            Console.WriteLine(ReferenceEquals(comm, MpiCommunicator.World) ? "the same communicator" : "another communicator");
            comm.Dispose();
            comm.Dispose();
            try
            {
                _ = MpiCommunicator.World;
                Console.WriteLine("started again");
            }
            catch (InvalidOperationException e)
            {
                Console.WriteLine(e.Message);
            }
            break;
        case "train":
            return GpuRnn.MpiProbe.TrainingProbe.Execute(comm, args);
        default:
            throw new ArgumentException($"unknown probe command '{args[0]}'");
    }
    return 0;
}
catch (MpiUnavailableException e)
{
    Console.Error.WriteLine($"mpiprobe: error: {e.Message}");
    return 4;
}
