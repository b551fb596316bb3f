using GpuRnn.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace GpuRnn.Gpu;

public sealed partial class GpuBackend
{
    /// <inheritdoc/>
    public void EmbeddingForward(Tensor ids, Tensor table, Tensor output)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (table, nameof(table)), (output, nameof(output)));
            var (n, vocab, dim) = EmbeddingShape(ids, table, output, nameof(output));
            var idView = Own(ids, nameof(ids)).Ints;
            CheckIds(idView, n, vocab, nameof(ids));
            var count = n * dim;
            if (count == 0) return;
            Launch(_kernels.Get<ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>(Kernels.Embedding.Forward), _shapes.Linear(count),
                idView, F(table, nameof(table)), F(output, nameof(output)), count, dim);
        }
    }

    /// <inheritdoc/>
    public void EmbeddingBackward(Tensor ids, Tensor dOutput, Tensor dTable)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (dOutput, nameof(dOutput)), (dTable, nameof(dTable)));
            var (n, vocab, dim) = EmbeddingShape(ids, dTable, dOutput, nameof(dOutput));
            var idView = Own(ids, nameof(ids)).Ints;
            CheckIds(idView, n, vocab, nameof(ids));
            if (n == 0 || dim == 0 || vocab == 0) return;
            // Enough vocabulary chunks to give every resident thread a column, no more than rows exist.
            var chunks = Math.Clamp(_shapes.MaxGroups * LaunchShapes.GroupSize / dim, 1, vocab);
            Launch(_kernels.Get<ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, int>(Kernels.Embedding.Backward),
                _shapes.Linear((long)dim * chunks), idView, F(dOutput, nameof(dOutput)), F(dTable, nameof(dTable)), n, dim, vocab, chunks);
        }
    }

    private (int N, int Vocab, int Dim) EmbeddingShape(Tensor ids, Tensor table, Tensor rows, string rowsName)
    {
        Own(ids, nameof(ids));
        TensorChecks.DType(ids, DType.Int32, nameof(ids));
        if (table.Shape.Rank != 2) throw new ArgumentException($"the embedding table has shape {table.Shape} but [V, E] was expected");
        int vocab = table.Shape[0], dim = table.Shape[1];
        var n = checked((int)ids.ElementCount);
        if (rows.ElementCount != (long)n * dim)
            throw new ArgumentException($"{rowsName} has shape {rows.Shape} ({rows.ElementCount} elements) but {n} ids of width {dim} need {(long)n * dim}");
        return (n, vocab, dim);
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
    public void SoftmaxCrossEntropy(Tensor logits, Tensor targets, Tensor? dLogits, double gradScale, Tensor stats)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (logits, nameof(logits)), (dLogits, nameof(dLogits)), (stats, nameof(stats)));
            var (n, v) = logits.Shape.AsMatrix();
            Own(targets, nameof(targets));
            TensorChecks.DType(targets, DType.Int32, nameof(targets));
            if (targets.ElementCount != n)
                throw new ArgumentException($"targets has {targets.ElementCount} entries but logits {logits.Shape} has {n} rows");
            if (dLogits is not null) TensorChecks.SameCount(dLogits, logits, nameof(dLogits), nameof(logits));
            TensorChecks.Shape(stats, new Shape(3), nameof(stats));
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
    public void Softmax(Tensor logits, Tensor probabilities, double temperature = 1)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (logits, nameof(logits)), (probabilities, nameof(probabilities)));
            TensorChecks.SameCount(logits, probabilities, nameof(logits), nameof(probabilities));
            if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), $"temperature must be positive, got {temperature}");
            var (n, v) = logits.Shape.AsMatrix();
            if (n == 0 || v == 0) return;
            Launch(_kernels.Get<ArrayView<float>, ArrayView<float>, int, float>(Kernels.SoftmaxCrossEntropy.Softmax), LaunchShapes.PerRow(n),
                F(logits, nameof(logits)), F(probabilities, nameof(probabilities)), v, (float)temperature);
        }
    }

    /// <inheritdoc/>
    public void MeanSquaredError(Tensor prediction, Tensor target, Tensor? dPrediction, double gradScale, Tensor stats)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (prediction, nameof(prediction)), (target, nameof(target)), (dPrediction, nameof(dPrediction)), (stats, nameof(stats)));
            TensorChecks.SameCount(prediction, target, nameof(prediction), nameof(target));
            if (dPrediction is not null) TensorChecks.SameCount(prediction, dPrediction, nameof(prediction), nameof(dPrediction));
            TensorChecks.Shape(stats, new Shape(1), nameof(stats));
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
    public void DropoutForward(Tensor x, Tensor y, Tensor mask, double p, ulong seed, ulong offset)
    {
        lock (_gate)
        {
            TensorChecks.Floats(this, (x, nameof(x)), (y, nameof(y)), (mask, nameof(mask)));
            TensorChecks.SameCount(x, y, nameof(x), nameof(y));
            TensorChecks.SameCount(x, mask, nameof(x), nameof(mask));
            if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1), got {p}");
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
