using System.Numerics;
using GpuRnn.Cpu.Rnn;

namespace GpuRnn.Cpu;

public sealed partial class CpuBackend
{
    // The recurrent path is chosen here, once per call: a layer with cell options (layer norm,
    // zoneout, cell clipping) takes CellOptionsLayer in either dtype (the fused path does not run
    // them yet); otherwise FusedRecurrentLayer.Handles picks the fused float32 path where it applies,
    // else the reference path in the call's dtype. The backward takes the path its forward took.

    /// <inheritdoc/>
    protected override bool RunsCellOptions => true;

    /// <inheritdoc/>
    protected override RnnReserve? RnnForwardCore(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
        Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training)
    {
        int steps = x.Shape[0], batch = x.Shape[1];
        var lengthArray = lengths is null || lengths.IsFull(steps) ? null : lengths.Values.ToArray();
        using var threads = CpuThreads.Use(Threads);
        if (layer.HasCellOptions)
        {
            return x.DType == DType.Float32
                ? CellOptionsLayer<float>.Forward(this, layer, Views<float>(weights, forReading: true),
                    ForwardIO<float>(layer, x, h0, c0, y, hN, cN), steps, batch, lengthArray, training)
                : CellOptionsLayer<double>.Forward(this, layer, Views<double>(weights, forReading: true),
                    ForwardIO<double>(layer, x, h0, c0, y, hN, cN), steps, batch, lengthArray, training);
        }
        if (FusedRecurrentLayer.Handles(layer, x.DType))
        {
            return FusedRecurrentLayer.Forward(this, layer, Views<float>(weights, forReading: true),
                ForwardIO<float>(layer, x, h0, c0, y, hN, cN), steps, batch, lengthArray, training);
        }
        if (x.DType == DType.Float32)
        {
            return ReferenceRecurrentLayer<float>.Forward(this, layer, Views<float>(weights, forReading: true),
                ForwardIO<float>(layer, x, h0, c0, y, hN, cN), steps, batch, lengthArray, training);
        }
        return ReferenceRecurrentLayer<double>.Forward(this, layer, Views<double>(weights, forReading: true),
            ForwardIO<double>(layer, x, h0, c0, y, hN, cN), steps, batch, lengthArray, training);
    }

    /// <inheritdoc/>
    protected override void RnnBackwardCore(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
        Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0, Tensor dy, Tensor? dhN, Tensor? dcN,
        Tensor? dx, Tensor? dh0, Tensor? dc0)
    {
        using var threads = CpuThreads.Use(Threads);
        if (layer.HasCellOptions && x.DType == DType.Float32)
        {
            var (io, grad) = BackwardIO<float>(layer, x, h0, c0, dy, dhN, dcN, dh0, dc0);
            CellOptionsLayer<float>.Backward(layer, Views<float>(weights, forReading: true), Views<float>(gradients, forReading: false),
                CellReserveOf<float>(reserve), Own(x, nameof(x)).Memory<float>(), io, grad, GradientOf<float>(dx));
        }
        else if (layer.HasCellOptions)
        {
            var (io, grad) = BackwardIO<double>(layer, x, h0, c0, dy, dhN, dcN, dh0, dc0);
            CellOptionsLayer<double>.Backward(layer, Views<double>(weights, forReading: true), Views<double>(gradients, forReading: false),
                CellReserveOf<double>(reserve), Own(x, nameof(x)).Memory<double>(), io, grad, GradientOf<double>(dx));
        }
        else if (FusedRecurrentLayer.Handles(layer, x.DType))
        {
            var (io, grad) = BackwardIO<float>(layer, x, h0, c0, dy, dhN, dcN, dh0, dc0);
            FusedRecurrentLayer.Backward(layer, Views<float>(weights, forReading: true), Views<float>(gradients, forReading: false),
                ReserveOf<float>(reserve), Own(x, nameof(x)).Memory<float>(), io, grad, GradientOf<float>(dx));
        }
        else if (x.DType == DType.Float32)
        {
            var (io, grad) = BackwardIO<float>(layer, x, h0, c0, dy, dhN, dcN, dh0, dc0);
            ReferenceRecurrentLayer<float>.Backward(layer, Views<float>(weights, forReading: true), Views<float>(gradients, forReading: false),
                ReserveOf<float>(reserve), Own(x, nameof(x)).Memory<float>(), io, grad, GradientOf<float>(dx));
        }
        else
        {
            var (io, grad) = BackwardIO<double>(layer, x, h0, c0, dy, dhN, dcN, dh0, dc0);
            ReferenceRecurrentLayer<double>.Backward(layer, Views<double>(weights, forReading: true), Views<double>(gradients, forReading: false),
                ReserveOf<double>(reserve), Own(x, nameof(x)).Memory<double>(), io, grad, GradientOf<double>(dx));
        }
    }

    /// <summary>Each direction's view of x, y and the states; y, hN and cN are null in the backward.</summary>
    private DirectionIO<T>[] ForwardIO<T>(RnnLayerDesc layer, Tensor x, Tensor? h0, Tensor? c0, Tensor? y, Tensor? hN, Tensor? cN)
        where T : unmanaged
    {
        var io = new DirectionIO<T>[layer.Directions];
        for (var d = 0; d < layer.Directions; d++)
        {
            io[d] = new DirectionIO<T>
            {
                X = Own(x, nameof(x)).Memory<T>(),
                Y = Columns<T>(layer, y, d, nameof(y)),
                H0 = DirectionSlice<T>(h0, d),
                C0 = DirectionSlice<T>(c0, d),
                HN = DirectionSlice<T>(hN, d),
                CN = DirectionSlice<T>(cN, d),
            };
        }
        return io;
    }

    /// <summary>Each direction's view of the backward's inputs and of the state gradients in and out.</summary>
    private (DirectionIO<T>[] IO, DirectionGradIO<T>[] Grad) BackwardIO<T>(RnnLayerDesc layer, Tensor x, Tensor? h0, Tensor? c0,
        Tensor dy, Tensor? dhN, Tensor? dcN, Tensor? dh0, Tensor? dc0) where T : unmanaged
    {
        var io = ForwardIO<T>(layer, x, h0, c0, null, null, null);
        var grad = new DirectionGradIO<T>[layer.Directions];
        for (var d = 0; d < layer.Directions; d++)
        {
            grad[d] = new DirectionGradIO<T>
            {
                DY = Columns<T>(layer, dy, d, nameof(dy)),
                DHN = DirectionSlice<T>(dhN, d),
                DCN = DirectionSlice<T>(dcN, d),
                DH0 = DirectionSlice<T>(dh0, d),
                DC0 = DirectionSlice<T>(dc0, d),
            };
        }
        return (io, grad);
    }

    /// <summary>Direction d's columns of y or dy [T, B, D*P] (empty when absent).</summary>
    private DirectionColumns<T> Columns<T>(RnnLayerDesc layer, Tensor? tensor, int d, string name) where T : unmanaged =>
        new(tensor is null ? Memory<T>.Empty : Own(tensor, name).Memory<T>(), d * layer.StateSize, layer.OutputSize);

    /// <summary>The reserve as this backend's, of the call's dtype.</summary>
    private static CpuRnnReserve<T> ReserveOf<T>(RnnReserve reserve) where T : unmanaged, IFloatingPointIeee754<T> =>
        reserve as CpuRnnReserve<T> ?? throw new ArgumentException($"the reserve holds another dtype than {DTypeExtensions.Of<T>().DisplayName()}");

    /// <summary>The reserve of a layer with cell options, of the call's dtype.</summary>
    private static CellOptionsReserve<T> CellReserveOf<T>(RnnReserve reserve) where T : unmanaged, IFloatingPointIeee754<T> =>
        reserve as CellOptionsReserve<T> ?? throw new ArgumentException($"the reserve holds another dtype than {DTypeExtensions.Of<T>().DisplayName()}");

    /// <summary>dx's memory, or empty when dx is not wanted.</summary>
    private Memory<T> GradientOf<T>(Tensor? dx) where T : unmanaged => dx is null ? Memory<T>.Empty : Own(dx, nameof(dx)).Memory<T>();

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
