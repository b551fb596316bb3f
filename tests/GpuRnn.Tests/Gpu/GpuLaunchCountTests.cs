using GpuRnn.Gpu.Rnn;
using Xunit;

namespace GpuRnn.Tests.Gpu;

/// <summary>
/// How many kernel launches a layer call makes: the time loop costs one fused launch per step
/// (the persistent kernel one per sequence), never a host round trip or a launch per gate. On
/// ILGPU's CPU accelerator every launch costs milliseconds, so this is also what keeps CI fast.
/// </summary>
public class GpuLaunchCountTests
{
    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void AStepwiseLstmForwardIsOneGemmAndOneLaunchPerStep(string backend)
    {
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        var c = GpuRecurrentTests.Case(TestRandom.Create(), gpu, "lstm", "odd", bidirectional: false, variableLengths: true, states: false);
        var before = GpuRnn.Gpu.GpuBackend.LaunchesOnThisThread;
        c.Forward(gpu, training: true, (b, l, w, x, len, h0, c0, y, hn, cn, tr) => gpu.RnnForward(l, w, x, len, h0, c0, y, hn, cn, tr, GpuRecurrentAlgorithm.Stepwise));
        Assert.Equal(1 + c.Steps, GpuRnn.Gpu.GpuBackend.LaunchesOnThisThread - before);
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void APersistentForwardIsOneGemmAndOneLaunchPerDirection(string backend)
    {
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        var c = GpuRecurrentTests.Case(TestRandom.Create(), gpu, "gru", "odd", bidirectional: true, variableLengths: true, states: true);
        var before = GpuRnn.Gpu.GpuBackend.LaunchesOnThisThread;
        c.Forward(gpu, training: false, (b, l, w, x, len, h0, c0, y, hn, cn, tr) => gpu.RnnForward(l, w, x, len, h0, c0, y, hn, cn, tr, GpuRecurrentAlgorithm.Persistent));
        Assert.Equal(2 * 2, GpuRnn.Gpu.GpuBackend.LaunchesOnThisThread - before);
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void AnLstmBackwardIsOneLaunchPerStepPlusTheWeightGradients(string backend)
    {
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        var c = GpuRecurrentTests.Case(TestRandom.Create(), gpu, "lstm", "odd", bidirectional: false, variableLengths: false, states: true);
        var outputs = c.Forward(gpu, training: true);
        var before = GpuRnn.Gpu.GpuBackend.LaunchesOnThisThread;
        c.Backward(gpu, outputs.Reserve!, GpuRecurrentAlgorithm.Stepwise);
        // T steps, dh0, then dW_hh, db_hh, dW_ih, db_ih and dx.
        Assert.Equal(c.Steps + 1 + 5, GpuRnn.Gpu.GpuBackend.LaunchesOnThisThread - before);
    }

    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void APersistentLstmBackwardIsOneLaunchForTheSequencePlusTheWeightGradients(string backend)
    {
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        var c = GpuRecurrentTests.Case(TestRandom.Create(), gpu, "lstm", "odd", bidirectional: false, variableLengths: false, states: true);
        var outputs = c.Forward(gpu, training: true);
        var before = GpuRnn.Gpu.GpuBackend.LaunchesOnThisThread;
        c.Backward(gpu, outputs.Reserve!, GpuRecurrentAlgorithm.Persistent);
        Assert.Equal(1 + 1 + 5, GpuRnn.Gpu.GpuBackend.LaunchesOnThisThread - before);
    }
}
