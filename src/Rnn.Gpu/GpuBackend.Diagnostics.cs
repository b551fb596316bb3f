using GpuRnn.Gpu.Kernels;
using ILGPU;

namespace GpuRnn.Gpu;

public sealed partial class GpuBackend
{
    /// <summary>Runs the kernels' own tanh and sigmoid on the device over <paramref name="x"/> (for accuracy tests).</summary>
    internal (float[] Tanh, float[] Sigmoid) EvaluateActivations(float[] x)
    {
        lock (_gate)
        {
            using var input = (GpuTensor)Allocate(new Shape(x.Length), DType.Float32);
            using var tanh = (GpuTensor)Allocate(new Shape(x.Length), DType.Float32);
            using var sigmoid = (GpuTensor)Allocate(new Shape(x.Length), DType.Float32);
            Upload<float>(x, input);
            Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ActivationProbe.Evaluate), _shapes.Linear(x.Length),
                input.Floats, tanh.Floats, sigmoid.Floats, x.Length);
            var t = new float[x.Length];
            var s = new float[x.Length];
            Download<float>(tanh, t);
            Download<float>(sigmoid, s);
            return (t, s);
        }
    }
}
