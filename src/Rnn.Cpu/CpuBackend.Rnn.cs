using System.Numerics;
using GpuRnn.Cpu.Rnn;

namespace GpuRnn.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    protected override RnnReserve? RnnForwardCore(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
        Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training)
    {
        int steps = x.Shape[0], batch = x.Shape[1];
        using var threads = CpuThreads.Use(Threads);
        return x.DType == DType.Float32
            ? Forward<float>(layer, weights, x, lengths, h0, c0, y, hN, cN, training, steps, batch)
            : Forward<double>(layer, weights, x, lengths, h0, c0, y, hN, cN, training, steps, batch);
    }

    /// <inheritdoc/>
    protected override void RnnBackwardCore(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
        Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0, Tensor dy, Tensor? dhN, Tensor? dcN,
        Tensor? dx, Tensor? dh0, Tensor? dc0)
    {
        using var threads = CpuThreads.Use(Threads);
        if (x.DType == DType.Float32) Backward<float>(layer, weights, gradients, reserve, x, h0, c0, dy, dhN, dcN, dx, dh0, dc0);
        else Backward<double>(layer, weights, gradients, reserve, x, h0, c0, dy, dhN, dcN, dx, dh0, dc0);
    }

    private CpuRnnReserve<T>? Forward<T>(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
        Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training, int steps, int batch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = Views<T>(weights, forReading: true);
        var io = new DirectionIO<T>[layer.Directions];
        for (var d = 0; d < layer.Directions; d++)
        {
            io[d] = new DirectionIO<T>
            {
                X = Own(x, nameof(x)).Memory<T>(),
                Y = Own(y, nameof(y)).Memory<T>(),
                ColumnOffset = d * layer.StateSize,
                RowStride = layer.OutputSize,
                H0 = DirectionSlice<T>(h0, d),
                C0 = DirectionSlice<T>(c0, d),
                HN = DirectionSlice<T>(hN, d),
                CN = DirectionSlice<T>(cN, d),
            };
        }
        var lengthArray = lengths is null || lengths.IsFull(steps) ? null : lengths.Values.ToArray();
        return RecurrentLayer<T>.Forward(this, layer, w, io, steps, batch, lengthArray, training);
    }

    private void Backward<T>(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
        Tensor x, Tensor? h0, Tensor? c0, Tensor dy, Tensor? dhN, Tensor? dcN, Tensor? dx, Tensor? dh0, Tensor? dc0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (reserve is not CpuRnnReserve<T> cpuReserve)
            throw new ArgumentException($"the reserve holds another dtype than {DTypeExtensions.Of<T>().DisplayName()}");
        var io = new DirectionIO<T>[layer.Directions];
        var grad = new DirectionGradIO<T>[layer.Directions];
        for (var d = 0; d < layer.Directions; d++)
        {
            io[d] = new DirectionIO<T>
            {
                X = Own(x, nameof(x)).Memory<T>(),
                Y = Memory<T>.Empty,
                ColumnOffset = d * layer.StateSize,
                RowStride = layer.OutputSize,
                H0 = DirectionSlice<T>(h0, d),
                C0 = DirectionSlice<T>(c0, d),
            };
            grad[d] = new DirectionGradIO<T>
            {
                DY = Own(dy, nameof(dy)).Memory<T>(),
                ColumnOffset = d * layer.StateSize,
                RowStride = layer.OutputSize,
                DHN = DirectionSlice<T>(dhN, d),
                DCN = DirectionSlice<T>(dcN, d),
                DH0 = DirectionSlice<T>(dh0, d),
                DC0 = DirectionSlice<T>(dc0, d),
            };
        }
        var dxMemory = dx is null ? Memory<T>.Empty : Own(dx, nameof(dx)).Memory<T>();
        RecurrentLayer<T>.Backward(layer, Views<T>(weights, forReading: true), Views<T>(gradients, forReading: false), cpuReserve, Own(x, nameof(x)).Memory<T>(), io, grad, dxMemory);
    }

    /// <summary>The layer's weights (read only, <paramref name="forReading"/>) or gradients (written) as memory, per direction.</summary>
    private DirectionWeights<T>[] Views<T>(RnnLayerWeights weights, bool forReading) where T : unmanaged
    {
        var result = new DirectionWeights<T>[weights.Directions.Count];
        for (var d = 0; d < result.Length; d++) result[d] = DirectionWeights<T>.From(this, weights.Directions[d], forReading);
        return result;
    }

    /// <summary>Direction d's [B, ...] block of a [D, B, ...] state tensor, or empty when absent.</summary>
    private Memory<T> DirectionSlice<T>(Tensor? state, int d) where T : unmanaged
    {
        if (state is null) return Memory<T>.Empty;
        var all = Own(state, "state").Memory<T>();
        var block = (int)state.Shape.RowElementCount;
        return all.Slice(d * block, block);
    }
}
