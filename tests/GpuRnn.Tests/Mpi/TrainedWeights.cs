using Xunit;

namespace GpuRnn.Tests.Mpi;

/// <summary>
/// Weights (or carried state) trained on N ranks against one process's on the same global batch:
/// how close float32 rounding of the gradient sum, taken in another order, leaves them.
/// </summary>
internal static class TrainedWeights
{
    // SGD's update is linear in the gradient, so the N-rank weights stay within float32 rounding of
    // one process's element by element: within 1e-5 of the tensor's largest weight (measured over
    // 8 seeds after 30 steps: at most 5e-7).
    public const double SgdWeightTolerance = 1e-5;

    // Adam divides each gradient by the root of its running square, so an element whose gradient is
    // rounding noise (its terms nearly cancel) steps by about the learning rate whichever way the
    // noise points: one element can end far from one process's (5e-4 of its tensor's largest, once,
    // in CI: 'tag' at 3 ranks) while the tensor as a whole stays within rounding (over 8 seeds at
    // most 4e-6 of its norm). Adam's weights are compared as tensors, the distance relative to the
    // norm: weighting the ranks alike instead of by their token counts moved the tagger's embedding
    // by 5e-3 of its norm (tried), and the losses of every step are compared at 1e-5 besides.
    public const double AdamTensorTolerance = 1e-3;

    // Per tensor: under SGD every element within SgdWeightTolerance of the tensor's largest
    // magnitude; under Adam the distance within AdamTensorTolerance of the tensor's norm.
    public static void AssertClose(IReadOnlyList<KeyValuePair<string, HostTensor>> expected, IReadOnlyList<KeyValuePair<string, HostTensor>> actual, string what, string optimizer)
    {
        Assert.Equal(expected.Select(kv => kv.Key), actual.Select(kv => kv.Key));
        for (var k = 0; k < expected.Count; k++)
        {
            var (name, e) = (expected[k].Key, expected[k].Value.ToFloat64Array());
            var a = actual[k].Value.ToFloat64Array();
            Assert.Equal(expected[k].Value.Shape, actual[k].Value.Shape);
            var scale = e.Max(Math.Abs);
            Assert.True(scale > 0, $"{what}: {name} is all zeros, which cannot tell runs apart");
            if (optimizer == "adam")
            {
                var norm = Math.Sqrt(e.Sum(x => x * x));
                var distance = Math.Sqrt(e.Zip(a, (x, y) => (x - y) * (x - y)).Sum());
                Assert.True(distance <= AdamTensorTolerance * norm, $"{what}: {name} is {distance:R} from one process's (norm {norm:R}), more than {AdamTensorTolerance} of its norm");
                continue;
            }
            for (var i = 0; i < e.Length; i++)
                Assert.True(Math.Abs(a[i] - e[i]) <= SgdWeightTolerance * scale, $"{what}: {name}[{i}] is {a[i]:R} where one process has {e[i]:R} (largest {scale:R})");
        }
    }
}
