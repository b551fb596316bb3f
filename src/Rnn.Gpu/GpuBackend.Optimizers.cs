using GpuRnn.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Gpu;

public sealed partial class GpuBackend
{
    /// <inheritdoc/>
    protected override double SumOfSquaresCore(IReadOnlyList<Tensor> tensors)
    {
        lock (_gate)
        {
            var views = new ArrayView<float>[tensors.Count];
            var total = 0;
            for (var i = 0; i < tensors.Count; i++)
            {
                var t = Own(tensors[i], $"tensors[{i}]"); // float32: the one float dtype this backend holds
                views[i] = t.Floats;
                if (t.Length > 0) total += _shapes.Linear(t.Length).GridDim.X;
            }
            if (total == 0) return 0;
            var partials = _scratch.Doubles(total);
            var offset = 0;
            foreach (var v in views)
            {
                if (v.Length == 0) continue;
                var config = _shapes.Linear(v.Length);
                Launch(Reductions.SumOfSquaresPartials, config, new SumOfSquaresArgs { X = v, Partials = partials, Offset = offset, N = (int)v.Length });
                offset += config.GridDim.X;
            }
            var host = new double[total];
            partials.SubView(0, total).CopyToCPU(_accelerator.DefaultStream, host);
            var sum = 0.0;
            foreach (var s in host) sum += s;
            return sum;
        }
    }

    /// <inheritdoc/>
    protected override void SgdStepCore(Tensor parameter, Tensor gradient, Tensor? velocity, SgdSettings settings, double learningRate)
    {
        lock (_gate)
        {
            var p = F(parameter, nameof(parameter));
            if (p.Length == 0) return;
            var args = new OptimizerArgs
            {
                Parameter = p, Gradient = F(gradient, nameof(gradient)), State1 = velocity is null ? p : F(velocity, nameof(velocity)), State2 = p,
                Count = (int)p.Length, HasMomentum = settings.Momentum != 0 ? 1 : 0, Nesterov = settings.Nesterov ? 1 : 0,
                Rate = (float)learningRate, Momentum = (float)settings.Momentum, WeightDecay = (float)settings.WeightDecay,
            };
            Launch(Optimizers.Sgd, _shapes.Linear(p.Length), args);
        }
    }

    /// <inheritdoc/>
    protected override void AdamStepCore(Tensor parameter, Tensor gradient, Tensor m, Tensor v, AdamSettings settings, double learningRate, long step)
    {
        lock (_gate)
        {
            var p = F(parameter, nameof(parameter));
            if (p.Length == 0) return;
            // The same float32 constants as the CPU backend: every scalar factor in float64 first.
            var args = new OptimizerArgs
            {
                Parameter = p, Gradient = F(gradient, nameof(gradient)), State1 = F(m, nameof(m)), State2 = F(v, nameof(v)),
                Count = (int)p.Length, Decoupled = settings.Decoupled ? 1 : 0,
                Beta1 = (float)settings.Beta1, Beta2 = (float)settings.Beta2, Epsilon = (float)settings.Epsilon,
                WeightDecay = (float)settings.WeightDecay, Rate = (float)learningRate,
                OneMinusBeta1 = (float)(1 - settings.Beta1), OneMinusBeta2 = (float)(1 - settings.Beta2),
                SqrtCorrection2 = (float)Math.Sqrt(1 - Math.Pow(settings.Beta2, step)),
                Decay = (float)(1 - learningRate * settings.WeightDecay),
                StepSize = (float)(learningRate / (1 - Math.Pow(settings.Beta1, step))),
            };
            Launch(Optimizers.Adam, _shapes.Linear(p.Length), args);
        }
    }

    /// <inheritdoc/>
    protected override void RmsPropStepCore(Tensor parameter, Tensor gradient, Tensor squareAverage, Tensor? momentumBuffer, RmsPropSettings settings, double learningRate)
    {
        lock (_gate)
        {
            var p = F(parameter, nameof(parameter));
            if (p.Length == 0) return;
            var args = new OptimizerArgs
            {
                Parameter = p, Gradient = F(gradient, nameof(gradient)), State1 = F(squareAverage, nameof(squareAverage)),
                State2 = momentumBuffer is null ? p : F(momentumBuffer, nameof(momentumBuffer)),
                Count = (int)p.Length, HasMomentum = settings.Momentum != 0 ? 1 : 0,
                Alpha = (float)settings.Alpha, OneMinusAlpha = (float)(1 - settings.Alpha), Epsilon = (float)settings.Epsilon, WeightDecay = (float)settings.WeightDecay,
                Momentum = (float)settings.Momentum, Rate = (float)learningRate,
            };
            Launch(Optimizers.RmsProp, _shapes.Linear(p.Length), args);
        }
    }
}
