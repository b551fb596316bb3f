using ILGPU;
using ILGPU.Algorithms;

namespace GpuRnn.Gpu.Kernels;

/// <summary>
/// Activations written from an exact-enough exp, never from the device's tanh: ILGPU lowers
/// <c>MathF.Tanh</c> to PTX <c>tanh.approx.f32</c> (relative error near 1e-3), which would break
/// the 1e-5 agreement with the CPU backend. <see cref="XMath.Exp(float)"/> is MathF.Exp on the
/// CPU accelerator and <c>ex2.approx.f32</c> (2 ulp) of a scaled argument on CUDA.
/// </summary>
internal static class GpuMath
{
    /// <summary>1 / (1 + e^-x); exact limits 0 and 1 for large |x| (the exp saturates to inf or 0).</summary>
    public static float Sigmoid(float x) => 1f / (1f + XMath.Exp(-x));

    /// <summary>
    /// tanh with relative error near 2e-7. Below |x| = 0.625 the exp form 1 - 2/(e^2x + 1)
    /// cancels, so a minimax odd polynomial is used there (Cephes tanhf, Moshier 1989); beyond
    /// |x| = 9 tanh is 1 in float32.
    /// </summary>
    public static float Tanh(float x)
    {
        var a = IntrinsicMath.Abs(x);
        if (a < 0.625f)
        {
            var z = x * x;
            var p = (((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z - 3.33332819422e-1f;
            return x + x * z * p;
        }
        if (a > 9f) return x > 0 ? 1f : -1f;
        var t = 1f - 2f / (XMath.Exp(2f * a) + 1f);
        return x < 0 ? -t : t;
    }

    /// <summary>max(x, 0).</summary>
    public static float Relu(float x) => x > 0f ? x : 0f;
}

/// <summary>Four floats kept in registers: one row of a thread's register tile.</summary>
internal struct Float4
{
    public float X, Y, Z, W;

    /// <summary>this += a * b, lane by lane.</summary>
    public void MulAdd(float a, float b0, float b1, float b2, float b3)
    {
        X += a * b0;
        Y += a * b1;
        Z += a * b2;
        W += a * b3;
    }
}
