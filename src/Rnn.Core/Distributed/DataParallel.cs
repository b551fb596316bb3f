using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace GpuRnn.Distributed;

/// <summary>
/// What <see cref="Trainer"/> does with an <see cref="ICommunicator"/> to train one model on
/// several ranks: each rank computes the gradient of its share of the global batch; the ranks'
/// gradients, weighted by their share of the predictions, are summed in the fixed rank order, so
/// every rank holds the same bits of the global batch's mean gradient and applies the same update.
/// The weights then stay identical without a per-step broadcast; checksums at checkpoints catch
/// any drift. Every instance method that communicates is a collective: every rank calls it at the
/// same point (with one rank, none communicates).
/// </summary>
internal sealed class DataParallel(ICommunicator communicator)
{
    // Rank r's dropout masks start 2^40 elements into the stream of the step, so no two ranks of a
    // step draw the same masks (for runs that mask fewer than 2^40 elements in all).
    private const int DropoutRankShift = 40;

    private float[] _floats = [];
    private double[] _doubles = [];

    /// <summary>The ranks.</summary>
    public ICommunicator Communicator { get; } = communicator ?? throw new ArgumentNullException(nameof(communicator));

    /// <summary>True when there is more than one rank.</summary>
    public bool IsParallel => Communicator.Size > 1;

    /// <summary>The first of this rank's examples (or streams) of a global batch, and how many.</summary>
    /// <exception cref="ArgumentException">The global batch does not divide by the number of ranks.</exception>
    public static (int First, int Count) Share(int globalBatch, ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        var size = communicator.Size;
        if (globalBatch % size != 0)
            throw new ArgumentException($"the global batch {globalBatch} does not divide by the {size} ranks; expected a multiple of {size} (each rank takes batch / ranks)");
        var count = globalBatch / size;
        return (communicator.Rank * count, count);
    }

    /// <summary>Refuses, on every rank alike, ranks started with other settings than rank 0's.</summary>
    /// <param name="settings">Everything that must agree (model, optimizer, schedule, options, data), as text.</param>
    /// <exception cref="ArgumentException">Some rank's settings differ from rank 0's.</exception>
    public void CheckSameSettings(string settings)
    {
        if (!IsParallel) return;
        var differ = Disagreeing(Hash(Encoding.UTF8.GetBytes(settings)));
        if (differ.Count > 0)
            throw new ArgumentException($"rank {differ[0]} was started with other settings than rank 0 (model, optimizer, schedule, batch, steps or data differ); start every rank with the same options");
    }

    /// <summary>Copies rank 0's values of <paramref name="parameters"/> into every rank's.</summary>
    public void BroadcastFromRankZero(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!IsParallel) return;
        foreach (var p in parameters)
        {
            var host = p.Value.ToHost();
            switch (host.Data)
            {
                case float[] f: Communicator.Broadcast<float>(f); break;
                case double[] d: Communicator.Broadcast<double>(d); break;
                default: throw new ArgumentException($"parameter '{p.Name}' is {host.DType.DisplayName()}, not a float tensor");
            }
            p.Value.CopyFrom(host);
        }
    }

    /// <summary>
    /// Turns this rank's gradients of the mean loss over its own predictions into the gradients of
    /// the mean loss over the global batch's (each rank's scaled by its share of the count, then
    /// summed in rank order), and returns the global batch's loss statistics.
    /// </summary>
    /// <param name="parameters">The trained parameters, whose gradients hold this rank's.</param>
    /// <param name="local">This rank's loss statistics.</param>
    /// <param name="dropoutAdvance">How far this rank's step advanced the dropout counter; receives the sum over the ranks.</param>
    /// <exception cref="InvalidOperationException">The global batch counted no predictions.</exception>
    public LossStats ReduceStep(IReadOnlyList<Parameter> parameters, LossStats local, ref ulong dropoutAdvance)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!IsParallel) return local;
        // Integers below 2^53 add exactly in float64.
        Span<double> stats = [local.LossSum, local.Correct, local.Count, dropoutAdvance];
        Communicator.SumInPlace(stats);
        var global = new LossStats(stats[0], stats[1], (long)stats[2]);
        dropoutAdvance = (ulong)stats[3];
        if (global.Count <= 0) throw new InvalidOperationException("the global batch counted no predictions on any rank");
        var share = (double)local.Count / global.Count;
        foreach (var p in parameters) p.Gradient.Backend.Scale(p.Gradient, share);
        SumGradients(parameters);
        return global;
    }

    /// <summary>
    /// The part of <paramref name="length"/> items (validation examples or streams) that rank
    /// <paramref name="rank"/> of <paramref name="size"/> evaluates: consecutive parts, the first
    /// <c>length % size</c> ranks one item more (none for the last ranks when there are fewer items than ranks).
    /// </summary>
    public static (int First, int Count) Part(int length, int size, int rank)
    {
        int q = length / size, r = length % size;
        return (rank * q + Math.Min(rank, r), q + (rank < r ? 1 : 0));
    }

    /// <summary>The loss statistics summed over the ranks (in rank order: the same bits on every rank).</summary>
    public LossStats SumStats(LossStats mine)
    {
        if (!IsParallel) return mine;
        Span<double> stats = [mine.LossSum, mine.Correct, mine.Count];
        Communicator.SumInPlace(stats);
        return new LossStats(stats[0], stats[1], (long)stats[2]);
    }

    /// <summary>Where rank <see cref="ICommunicator.Rank"/>'s dropout masks start, from the step's counter.</summary>
    public ulong DropoutStart(ulong counter) => counter + ((ulong)Communicator.Rank << DropoutRankShift);

    /// <summary>True on every rank when <paramref name="mine"/> is true on any rank.</summary>
    public bool AnyRank(bool mine)
    {
        if (!IsParallel) return mine;
        Span<double> flag = [mine ? 1 : 0];
        Communicator.SumInPlace(flag);
        return flag[0] > 0;
    }

    /// <summary>
    /// Refuses, on every rank alike, a state that differs between ranks: the checksums of every
    /// rank's tensors (parameters and optimizer state) are compared with rank 0's.
    /// </summary>
    /// <exception cref="InvalidOperationException">Some rank's tensors differ from rank 0's.</exception>
    public void CheckSameWeights(IEnumerable<KeyValuePair<string, HostTensor>> tensors, long step)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!IsParallel) return;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in tensors)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData(Bytes(tensor));
        }
        var differ = Disagreeing(BitConverter.ToUInt64(hash.GetHashAndReset()));
        if (differ.Count > 0)
            throw new InvalidOperationException($"at step {step} the weights of rank {string.Join(", ", differ)} differ from rank 0's (their checksums differ): the ranks drifted apart, so training stops; the last checkpoint is intact");
    }

    /// <summary>
    /// Gathers every rank's state <c>[L, b, H]</c> (its b = B / ranks streams) into the global
    /// <c>[L, B, H]</c>, rank r's streams at <c>[r * b, (r + 1) * b)</c>, on every rank.
    /// </summary>
    public HostTensor GatherBatch(HostTensor mine)
    {
        ArgumentNullException.ThrowIfNull(mine);
        if (!IsParallel) return mine;
        var (layers, batch, width) = (mine.Shape[0], mine.Shape[1], mine.Shape[2]);
        var shape = new Shape(layers, batch * Communicator.Size, width);
        return mine.Data switch
        {
            float[] f => HostTensor.FromArray(GatherBatch(f, layers, batch, width), shape),
            double[] d => HostTensor.FromArray(GatherBatch(d, layers, batch, width), shape),
            _ => throw new ArgumentException($"a carried state is {mine.DType.DisplayName()}, not a float tensor"),
        };
    }

    /// <summary>This rank's streams <c>[L, b, H]</c> of a global state <c>[L, B, H]</c> (the inverse of <see cref="GatherBatch(HostTensor)"/>).</summary>
    public HostTensor ShareOfBatch(HostTensor global)
    {
        ArgumentNullException.ThrowIfNull(global);
        if (!IsParallel) return global;
        var (layers, width) = (global.Shape[0], global.Shape[2]);
        var (first, batch) = Share(global.Shape[1], Communicator);
        var shape = new Shape(layers, batch, width);
        return global.Data switch
        {
            float[] f => HostTensor.FromArray(Columns(f, layers, global.Shape[1], width, first, batch), shape),
            double[] d => HostTensor.FromArray(Columns(d, layers, global.Shape[1], width, first, batch), shape),
            _ => throw new ArgumentException($"a carried state is {global.DType.DisplayName()}, not a float tensor"),
        };
    }

    private T[] GatherBatch<T>(T[] mine, int layers, int batch, int width) where T : unmanaged
    {
        var size = Communicator.Size;
        var all = new T[size * mine.Length];
        Communicator.Allgather<T>(mine, all);
        // all is [ranks, L, b, H]; the layout of a checkpoint is [L, ranks * b, H].
        var result = new T[all.Length];
        var row = batch * width;
        for (var r = 0; r < size; r++)
            for (var l = 0; l < layers; l++)
                Array.Copy(all, (r * layers + l) * row, result, (l * size + r) * row, row);
        return result;
    }

    private static T[] Columns<T>(T[] global, int layers, int globalBatch, int width, int first, int batch)
    {
        var result = new T[layers * batch * width];
        for (var l = 0; l < layers; l++)
            Array.Copy(global, (l * globalBatch + first) * width, result, l * batch * width, batch * width);
        return result;
    }

    // Every gradient staged through one host buffer (device gradients included), summed in rank order.
    private void SumGradients(IReadOnlyList<Parameter> parameters)
    {
        var total = parameters.Sum(p => p.Gradient.ElementCount);
        if (total > Array.MaxLength) throw new InvalidOperationException($"{total} gradient values are too many for one host buffer");
        var dtype = parameters[0].Gradient.DType;
        if (parameters.Any(p => p.Gradient.DType != dtype))
            throw new InvalidOperationException("data-parallel training needs every parameter of one dtype");
        if (dtype == DType.Float64) Sum(parameters, ref _doubles, (int)total);
        else if (dtype == DType.Float32) Sum(parameters, ref _floats, (int)total);
        else throw new InvalidOperationException($"gradients are {dtype.DisplayName()}, not float tensors");
    }

    private void Sum<T>(IReadOnlyList<Parameter> parameters, ref T[] buffer, int total) where T : unmanaged
    {
        if (buffer.Length != total) buffer = new T[total];
        var offset = 0;
        foreach (var p in parameters)
        {
            var n = (int)p.Gradient.ElementCount;
            p.Gradient.Backend.Download<T>(p.Gradient, buffer.AsSpan(offset, n));
            offset += n;
        }
        if (buffer is float[] f) Communicator.SumInPlace(f.AsSpan());
        else Communicator.SumInPlace((buffer as double[])!.AsSpan());
        offset = 0;
        foreach (var p in parameters)
        {
            var n = (int)p.Gradient.ElementCount;
            p.Gradient.Backend.Upload<T>(buffer.AsSpan(offset, n), p.Gradient);
            offset += n;
        }
    }

    // The ranks (other than 0) whose value differs from rank 0's, the same list on every rank.
    private List<int> Disagreeing(ulong mine)
    {
        var all = new ulong[Communicator.Size];
        Communicator.Allgather<ulong>([mine], all);
        return Enumerable.Range(1, all.Length - 1).Where(r => all[r] != all[0]).ToList();
    }

    private static ulong Hash(byte[] bytes) => BitConverter.ToUInt64(SHA256.HashData(bytes));

    private static ReadOnlySpan<byte> Bytes(HostTensor tensor) => tensor.Data switch
    {
        float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
        double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
        int[] i => MemoryMarshal.AsBytes(i.AsSpan()),
        _ => throw new ArgumentException($"a {tensor.DType.DisplayName()} tensor has no checksum"),
    };
}
