using Xunit;

namespace GpuRnn.Tests.Gpu;

/// <summary>
/// The kernels' own tanh and sigmoid, run on the device and held to float64. PTX's
/// tanh.approx.f32 (relative error near 1e-3) would fail these bounds, which is the point:
/// on CUDA this is the test that catches an approximate intrinsic.
/// </summary>
public class GpuActivationTests
{
    [Theory]
    [MemberData(nameof(TestBackends.Accelerated), MemberType = typeof(TestBackends))]
    public void TanhAndSigmoidAreWithinAFewUlpsOfFloat64(string backend)
    {
        var gpu = GpuReference.AsGpu(TestBackends.Get(backend));
        var rng = TestRandom.Create();
        var x = new float[4000];
        for (var i = 0; i < x.Length; i++)
        {
            // Dense near zero (where 1 - 2/(e^2x + 1) cancels) and out to saturation.
            var magnitude = i % 2 == 0 ? rng.NextDouble() * 1.5 : Math.Exp(rng.NextDouble() * 12 - 9);
            x[i] = (float)(rng.Next(2) == 0 ? magnitude : -magnitude);
        }
        x[0] = 0; x[1] = 0.625f; x[2] = -0.625f; x[3] = 9f; x[4] = 30f; x[5] = -30f; x[6] = 1e-30f;
        var (tanh, sigmoid) = ActivationProbe.Run(gpu, x);
        double worstTanh = 0, worstSigmoid = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var t = Math.Tanh(x[i]);
            var s = 1 / (1 + Math.Exp(-(double)x[i]));
            worstTanh = Math.Max(worstTanh, t == 0 ? Math.Abs(tanh[i]) : Math.Abs(tanh[i] - t) / Math.Abs(t));
            worstSigmoid = Math.Max(worstSigmoid, Math.Abs(sigmoid[i] - s) / s);
        }
        Assert.True(worstTanh < 1e-6, $"tanh relative error {worstTanh:E2} (seed {TestRandom.Seed})");
        Assert.True(worstSigmoid < 2e-6, $"sigmoid relative error {worstSigmoid:E2} (seed {TestRandom.Seed})");
    }
}
