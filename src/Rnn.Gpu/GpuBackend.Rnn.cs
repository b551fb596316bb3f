namespace GpuRnn.Gpu;

public sealed partial class GpuBackend
{
    /// <inheritdoc/>
    public RnnReserve? RnnForward(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
        Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training)
        => throw new NotImplementedException("recurrent forward is being written");

    /// <inheritdoc/>
    public void RnnBackward(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
        Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0, Tensor dy, Tensor? dhN, Tensor? dcN,
        Tensor? dx, Tensor? dh0, Tensor? dc0)
        => throw new NotImplementedException("recurrent backward is being written");
}
