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
            Launch(Kernels.Embedding.Forward, _shapes.Linear(count),
                new EmbeddingArgs { Ids = idView, Table = F(table, nameof(table)), Output = F(output, nameof(output)), N = n, Dim = dim, Vocab = vocab });
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
            Launch(Kernels.Embedding.Backward, _shapes.Linear((long)dim * chunks), new EmbeddingArgs
            {
                Ids = idView, Table = F(dTable, nameof(dTable)), Output = F(dOutput, nameof(dOutput)), N = n, Dim = dim, Vocab = vocab, Chunks = chunks,
            });
        }
    }

    /// <summary>Validates ids on the device (one small download): each must be in [0, vocab) or -1.</summary>
    private void CheckIds(ArrayView<int> ids, int n, int vocab, string name)
    {
        if (n == 0) return;
        var firstBad = _scratch.Floats(ScratchSlot.RowStatistics, 1).Cast<int>().SubView(0, 1);
        Launch(Elementwise.FillInt, new KernelConfig(1, 1), new FillArgs<int> { X = firstBad, Value = int.MaxValue, N = 1 });
        Launch(Kernels.Embedding.CheckIds, _shapes.Linear(n), new CheckIdsArgs { Ids = ids, FirstBad = firstBad, N = n, Vocab = vocab });
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
            Launch(Kernels.SoftmaxCrossEntropy.Rows, LaunchShapes.PerRow(n), new CrossEntropyArgs
            {
                Logits = logitView, Targets = targetView, DLogits = dLogits is null ? logitView : F(dLogits, nameof(dLogits)), RowStats = rowStats,
                Classes = v, WithGrad = dLogits is null ? 0 : 1, Scale = (float)gradScale,
            });
            Launch(Kernels.SoftmaxCrossEntropy.SumRowStatistics, new KernelConfig(1, LaunchShapes.GroupSize),
                new SumArgs { Values = rowStats, Result = statsView, Count = n });
        }
    }

    /// <inheritdoc/>
    protected override void SoftmaxCore(Tensor logits, Tensor probabilities, double temperature)
    {
        lock (_gate)
        {
            var (n, v) = logits.Shape.AsMatrix();
            if (n == 0 || v == 0) return;
            Launch(Kernels.SoftmaxCrossEntropy.Softmax, LaunchShapes.PerRow(n), new SoftmaxArgs
            {
                Logits = F(logits, nameof(logits)), Probabilities = F(probabilities, nameof(probabilities)), Classes = v, Temperature = (float)temperature,
            });
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
            Launch(Kernels.SoftmaxCrossEntropy.SquaredError, config, new SquaredErrorArgs
            {
                Prediction = p, Target = F(target, nameof(target)), DPrediction = dPrediction is null ? p : F(dPrediction, nameof(dPrediction)),
                Partials = partials, N = n, WithGrad = dPrediction is null ? 0 : 1, Scale = (float)gradScale,
            });
            Launch(Kernels.SoftmaxCrossEntropy.SumPartials, new KernelConfig(1, LaunchShapes.GroupSize),
                new SumArgs { Values = partials, Result = F(stats, nameof(stats)), Count = config.GridDim.X });
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
            var args = new DropoutArgs
            {
                X = F(x, nameof(x)), Y = F(y, nameof(y)), Mask = F(mask, nameof(mask)),
                Seed = seed, Offset = offset, P = p32, Keep = 1f / (1f - p32), Count = n,
            };
            Launch(Kernels.Dropout.Forward, _shapes.Linear(n), args);
        }
    }
}
