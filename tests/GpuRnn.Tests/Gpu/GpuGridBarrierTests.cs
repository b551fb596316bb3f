using GpuRnn.Gpu;
using GpuRnn.Gpu.Rnn;
using ILGPU.Runtime.CPU;
using Xunit;

namespace GpuRnn.Tests.Gpu;

/// <summary>
/// The persistent kernel's grid barrier across several groups, on each backend's own device and
/// on a simulated one. The default ilgpu-cpu device has
/// one multiprocessor, so its persistent launches have one group; here ILGPU's CPU accelerator
/// simulates three multiprocessors, whose groups run at the same time as on a GPU, so every step
/// waits at the barrier for the others and reads the hidden units they wrote.
/// </summary>
public class GpuGridBarrierTests
{
    /// <summary>H 12, 40 and 64 at B 3: on a device of two multiprocessors, each pass's tile falls in a different shared-memory class.</summary>
    public static TheoryData<string, string, int> ConcurrentCases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var backend in TestBackends.Accelerated)
            foreach (var cell in new[] { "lstm", "gru" })
                foreach (var hidden in new[] { 12, 40, 64 })
                    data.Add(backend, cell, hidden);
        return data;
    }

    /// <summary>
    /// The persistent kernels on the backend's own device with one group per multiprocessor, all
    /// running at once: each group keeps its own rows of W_hh in shared memory, so a group that
    /// read another's tile (as ILGPU's OpenCL code did with dynamic shared memory, whose pointer
    /// all groups shared) gives wrong hidden units. Compared with the CPU backend, forward and
    /// backward, over a sequence long enough for the groups to overlap at every step.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConcurrentCases))]
    public void PersistentGroupsRunningAtOnceEachKeepTheirOwnSharedMemory(string backend, string cell, int hidden)
    {
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        if (gpu.Multiprocessors < 2)
            Assert.Skip($"backend '{backend}' has one multiprocessor, so no two groups run at once (the test beside this one simulates three)");
        var rng = TestRandom.Create();
        var kind = cell == "lstm" ? RnnCellKind.Lstm : RnnCellKind.Gru;
        var layer = new RnnLayerDesc(kind, InputSize: 7, HiddenSize: hidden, ProjSize: 0, Directions: 2, Bias: true, Peepholes: false, GruVariant.ResetAfter);
        var c = new RecurrentCase(rng, gpu, layer, steps: 16, batch: 3, lengths: [16, 9, 1], states: true);
        var call = new RecurrentCall(c.Layer, c.Steps, c.Batch, default, default, default);
        var forward = gpu.PlanPersistent(call);
        var backward = gpu.PlanPersistent(call, backward: true);
        Assert.NotNull(forward);
        Assert.NotNull(backward);
        Assert.InRange(forward.Value.Groups, 2, gpu.Multiprocessors);
        Assert.Equal(forward.Value.Groups, backward.Value.Groups);
        var cpu = c.Forward(GpuReference.Cpu, training: true);
        var outputs = c.Forward(gpu, training: true, GpuRecurrentAlgorithm.Persistent);
        var what = $"{cell} H {hidden}, persistent over {forward.Value.Groups} concurrent groups";
        c.AssertForwardMatches(outputs, cpu, what);
        c.AssertBackwardMatches(c.Backward(gpu, outputs.Reserve!, GpuRecurrentAlgorithm.Persistent), c.Backward(GpuReference.Cpu, cpu.Reserve!), what);
        outputs.Reserve!.Dispose();
    }

    [Fact]
    public void PersistentGroupsOnSeveralMultiprocessorsWaitForEachOtherEveryStep()
    {
        using var simulated = new GpuBackend("ilgpu-cpu", new CPUDevice(32, 2, 3));
        var rng = TestRandom.Create();
        foreach (var cell in new[] { "lstm", "gru" })
        {
            var c = GpuRecurrentTests.Case(rng, simulated, cell, "odd", bidirectional: true, variableLengths: true, states: true);
            var plan = simulated.PlanPersistent(new RecurrentCall(c.Layer, c.Steps, c.Batch, default, default, default));
            Assert.Equal(3, plan!.Value.Groups);
            var cpu = c.Forward(GpuReference.Cpu, training: true);
            var gpu = c.Forward(simulated, training: true, GpuRecurrentAlgorithm.Persistent);
            c.AssertForwardMatches(gpu, cpu, $"{cell} persistent over 3 groups");
            if (cell != "lstm") continue;
            Assert.Equal(3, simulated.PlanPersistent(new RecurrentCall(c.Layer, c.Steps, c.Batch, default, default, default), backward: true)!.Value.Groups);
            var expected = c.Backward(GpuReference.Cpu, cpu.Reserve!);
            c.AssertBackwardMatches(c.Backward(simulated, gpu.Reserve!, GpuRecurrentAlgorithm.Persistent), expected, "lstm persistent backward over 3 groups");
        }
    }
}
