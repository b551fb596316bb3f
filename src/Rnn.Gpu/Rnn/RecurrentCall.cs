using GpuRnn.Gpu.Kernels;
using ILGPU;

namespace GpuRnn.Gpu.Rnn;

/// <summary>How a recurrent forward runs its time loop.</summary>
internal enum GpuRecurrentAlgorithm
{
    /// <summary>Persistent where it fits, else one fused launch per step.</summary>
    Auto,

    /// <summary>One fused launch per step (two for GRU reset-before and LSTM projection).</summary>
    Stepwise,

    /// <summary>One launch for the whole sequence; an error where it does not fit.</summary>
    Persistent,
}

/// <summary>The sizes and device views of one layer call, shared by its directions.</summary>
internal sealed class RecurrentCall(RnnLayerDesc layer, int steps, int batch, SequenceMask mask, ArrayView<float> x, ArrayView<float> sequence)
{
    public RnnLayerDesc Layer => layer;
    public int Steps => steps;
    public int Batch => batch;
    public SequenceMask Mask => mask;

    /// <summary>x [T, B, I].</summary>
    public ArrayView<float> X => x;

    /// <summary>y [T, B, D*P] in the forward, dy in the backward.</summary>
    public ArrayView<float> Sequence => sequence;

    public int Hidden => Layer.HiddenSize;
    public int StateSize => Layer.StateSize;
    public int Gates => Layer.GateCount;
    public int GateRows => Layer.GateCount * Layer.HiddenSize;
    public int Rows => Steps * Batch;
    public int LdSequence => Layer.OutputSize;

    /// <summary>Width of a step's gate storage: LSTM i, f, g, o; GRU r, z, n and one more block; RNN none.</summary>
    public int GateStorage => Layer.Cell is RnnCellKind.Lstm or RnnCellKind.Gru ? 4 * Hidden : 0;

    /// <summary>The time of processing step s in direction d.</summary>
    public int TimeAt(int d, int s) => d == 1 ? Steps - 1 - s : s;

    /// <summary>The state layout of direction d.</summary>
    public StateSlots Slots(int d, bool training) => new() { Training = training ? 1 : 0, Reverse = d, Steps = Steps };
}

/// <summary>One direction's parameter views (absent ones are invalid views).</summary>
internal readonly struct DirectionWeightViews
{
    public ArrayView<float> WeightIh { get; init; }
    public ArrayView<float> WeightHh { get; init; }
    public ArrayView<float> BiasIh { get; init; }
    public ArrayView<float> BiasHh { get; init; }
    public ArrayView<float> WeightHr { get; init; }
    public ArrayView<float> PeepI { get; init; }
    public ArrayView<float> PeepF { get; init; }
    public ArrayView<float> PeepO { get; init; }
    public ArrayView<float> LnIhWeight { get; init; }
    public ArrayView<float> LnIhBias { get; init; }
    public ArrayView<float> LnHhWeight { get; init; }
    public ArrayView<float> LnHhBias { get; init; }
    public ArrayView<float> LnCellWeight { get; init; }
    public ArrayView<float> LnCellBias { get; init; }

    public bool HasBias => BiasHh.IsValid;
}

/// <summary>One direction's working buffers: the reserve when training, scratch otherwise.</summary>
internal readonly struct DirectionBuffers
{
    public ArrayView<float> InputGates { get; init; }
    public ArrayView<float> States { get; init; }
    public ArrayView<float> Cells { get; init; }
    public ArrayView<float> Gates { get; init; }
    public ArrayView<float> Projected { get; init; }
    public StateSlots Slots { get; init; }
}
