using GpuRnn.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Gpu;

public sealed partial class GpuBackend
{
    /// <inheritdoc/>
    protected override void EmbeddingForwardCore(Tensor ids, Tensor table, Tensor output)
    {
        lock (_gate)
        {
            int n = (int)ids.ElementCount, vocab = table.Shape[0], dim = table.Shape[1];
            var idView = Own(ids, nameof(ids)).Ints;
            CheckIds(idView, n, vocab, nameof(ids));
            var count = n * dim;
            if (count == 0) return;
            Launch(_kernels.Get<ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>(Kernels.Embedding.Forward), _shapes.Linear(count),
                idView, F(table, nameof(table)), F(output, nameof(output)), count, dim);
        }
    }

    /// <inheritdoc/>
    protected override void EmbeddingBackwardCore(Tensor ids, Tensor dOutput, Tensor dTable)
    {
        lock (_gate)
        {
            int n = (int)ids.ElementCount, vocab = dTable.Shape[0], dim = dTable.Shape[1];
            var idView = Own(ids, nameof(ids)).Ints;
            CheckIds(idView, n, vocab, nameof(ids));
            if (n == 0 || dim == 0 || vocab == 0) return;
            // Enough vocabulary chunks to give every resident thread a column, no more than rows exist.
            var chunks = Math.Clamp(_shapes.MaxGroups * LaunchShapes.GroupSize / dim, 1, vocab);
            Launch(_kernels.Get<ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, int>(Kernels.Embedding.Backward),
                _shapes.Linear((long)dim * chunks), idView, F(dOutput, nameof(dOutput)), F(dTable, nameof(dTable)), n, dim, vocab, chunks);
        }
    }

    /// <summary>Validates ids on the device (one small download): each must be in [0, vocab) or -1.</summary>
    private void CheckIds(ArrayView<int> ids, int n, int vocab, string name)
    {
        if (n == 0) return;
        var firstBad = _scratch.Floats(ScratchSlot.RowStatistics, 1).Cast<int>().SubView(0, 1);
        Launch(_kernels.Get<ArrayView<int>, int, int>(Elementwise.FillInt), new KernelConfig(1, 1), firstBad, int.MaxValue, 1);
        Launch(_kernels.Get<ArrayView<int>, ArrayView<int>, int, int>(Kernels.Embedding.CheckIds), _shapes.Linear(n), ids, firstBad, n, vocab);
        Span<int> index = stackalloc int[1];
        firstBad.CopyToCPU(_accelerator.DefaultStream, index);
        if (index[0] == int.MaxValue) return;
        Span<int> value = stackalloc int[1];
        ids.SubView(index[0], 1).CopyToCPU(_accelerator.DefaultStream, value);
        throw new ArgumentException($"{name}[{index[0]}] is {value[0]} but ids must be in [0, {vocab}) or -1 for padding");
    }

    /// <inheritdoc/>
    protected override void SoftmaxCrossEntropyCore(Tensor logits, Tensor targets, Tensor? dLogits, double gradScale, Tensor stats)
    {
        lock (_gate)
        {
            var (n, v) = logits.Shape.AsMatrix();
            var targetView = Own(targets, nameof(targets)).Ints;
            CheckIds(targetView, n, v, nameof(targets));
            var statsView = F(stats, nameof(stats));
            if (n == 0)
            {
                FillView(statsView, 0);
                return;
            }
            if (v == 0) throw new ArgumentException($"logits has shape {logits.Shape}; rows need at least one class");
            var rowStats = _scratch.Floats(ScratchSlot.RowStatistics, 3L * n);
            var logitView = F(logits, nameof(logits));
            Launch(_kernels.Get<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float>(Kernels.SoftmaxCrossEntropy.Rows),
                LaunchShapes.PerRow(n), logitView, targetView, dLogits is null ? logitView : F(dLogits, nameof(dLogits)), rowStats, v,
                dLogits is null ? 0 : 1, (float)gradScale);
            Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, int>(Kernels.SoftmaxCrossEntropy.SumRowStatistics),
                new KernelConfig(1, LaunchShapes.GroupSize), rowStats, statsView, n);
        }
    }

    /// <inheritdoc/>
    protected override void SoftmaxCore(Tensor logits, Tensor probabilities, double temperature)
    {
        lock (_gate)
        {
            var (n, v) = logits.Shape.AsMatrix();
            if (n == 0 || v == 0) return;
            Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, int, float>(Kernels.SoftmaxCrossEntropy.Softmax), LaunchShapes.PerRow(n),
                F(logits, nameof(logits)), F(probabilities, nameof(probabilities)), v, (float)temperature);
        }
    }

    /// <inheritdoc/>
    protected override void MeanSquaredErrorCore(Tensor prediction, Tensor target, Tensor? dPrediction, double gradScale, Tensor stats)
    {
        lock (_gate)
        {
            var n = (int)prediction.ElementCount;
            var p = F(prediction, nameof(prediction));
            var config = _shapes.Linear(n);
            var partials = _scratch.Floats(ScratchSlot.RowStatistics, config.GridDim.X);
            Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>(Kernels.SoftmaxCrossEntropy.SquaredError),
                config, p, F(target, nameof(target)), dPrediction is null ? p : F(dPrediction, nameof(dPrediction)), partials, n,
                dPrediction is null ? 0 : 1, (float)gradScale);
            Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, int>(Kernels.SoftmaxCrossEntropy.SumPartials),
                new KernelConfig(1, LaunchShapes.GroupSize), partials, F(stats, nameof(stats)), config.GridDim.X);
        }
    }

    /// <inheritdoc/>
    protected override void DropoutForwardCore(Tensor x, Tensor y, Tensor mask, double p, ulong seed, ulong offset)
    {
        lock (_gate)
        {
            var n = (int)x.ElementCount;
            if (n == 0) return;
            var p32 = (float)p;
            // keep = 1 / (1 - p) computed in float32, as the CPU backend computes it.
            var args = new DropoutArgs { Seed = seed, Offset = offset, P = p32, Keep = 1f / (1f - p32), Count = n };
            Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, ArrayView<float>, DropoutArgs>(Kernels.Dropout.Forward), _shapes.Linear(n),
                F(x, nameof(x)), F(y, nameof(y)), F(mask, nameof(mask)), args);
        }
    }
}
