using GpuRnn.Gpu;
using GpuRnn.Gpu.Rnn;
using ILGPU.Runtime.CPU;
using Xunit;

namespace GpuRnn.Tests.Gpu;

/// <summary>
/// The persistent kernel's grid barrier across several groups. The default ilgpu-cpu device has
/// one multiprocessor, so its persistent launches have one group; here ILGPU's CPU accelerator
/// simulates three multiprocessors, whose groups run at the same time as on a GPU, so every step
/// waits at the barrier for the others and reads the hidden units they wrote.
/// </summary>
public class GpuGridBarrierTests
{
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
