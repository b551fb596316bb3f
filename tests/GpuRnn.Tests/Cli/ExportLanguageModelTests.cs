using GpuRnn.Cpu;
using GpuRnn.Tests.IO;
using GpuRnn.Tests.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using static GpuRnn.Tests.Cli.ExportFixtures;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// <c>gpurnn export</c> of language models (charlm, wordlm with a full or class-based softmax)
/// trained a few steps on built-in data: the step graph, fed chunks of random lengths (one token
/// included) from a random state with its own <c>hn</c>/<c>cn</c> fed back, gives GpuRnn's scores
/// and states chunk by chunk.
/// </summary>
public sealed class ExportLanguageModelTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Chunk lengths fed one after another: single tokens between longer chunks.</summary>
    private static readonly int[] Chunks = [1, 4, 1, 1, 3];

    [Theory]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    public void CharacterModelStepsMatchNextLogitsChunkByChunk(string cell, int layers)
    {
        var checkpoint = Train(_folder, "charlm", "--cell", cell, "--layers", layers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var onnx = _folder.File("charlm.onnx");
        var result = Gpurnn.Run("export", "--model", checkpoint, "--onnx", onnx);
        result.AssertSucceeded();
        Assert.Contains("-> logits [T, B, ", result.Out);

        var rng = TestRandom.Create();
        var backend = new CpuBackend();
        var (loaded, snapshot) = Checkpoint.LoadModel(checkpoint, backend);
        using var model = (CharRnnModel)loaded;
        var spec = snapshot.Spec;
        using var session = new InferenceSession(onnx);
        CheckMetadata(session, spec, "charlm_step");
        const int batch = 3;
        using var state = model.CreateState(batch);
        Compare(session, spec, rng, state, "logits", (tokens, steps) => model.NextLogits(tokens, steps, state), lastStepOnly: true);
    }

    [Theory]
    [InlineData("class", "lstm", 1)]
    [InlineData("full", "gru", 2)]
    [InlineData("class", "rnn_tanh", 2)]
    public void WordModelStepsMatchLogProbabilitiesChunkByChunk(string softmax, string cell, int layers)
    {
        var checkpoint = Train(_folder, "wordlm", "--softmax", softmax, "--cell", cell, "--layers", layers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var onnx = _folder.File("wordlm.onnx");
        Gpurnn.Run("export", "--model", checkpoint, "--onnx", onnx).AssertSucceeded();

        var rng = TestRandom.Create();
        var backend = new CpuBackend();
        var (loaded, snapshot) = Checkpoint.LoadModel(checkpoint, backend);
        using var model = (SequenceTagger)loaded;
        var spec = snapshot.Spec;
        Assert.Equal(softmax, spec.Softmax.ToName());
        using var session = new InferenceSession(onnx);
        CheckMetadata(session, spec, "wordlm_step");
        const int batch = 4;
        using var state = new RecurrentState(backend, spec.Rnn, batch, DType.Float32);
        Compare(session, spec, rng, state, "log_probabilities", (tokens, steps) =>
        {
            using var output = model.Encoder.Forward(tokens, null, steps, batch, null, state.Hidden, state.Cell);
            state.CopyFrom(output.Hidden, output.Cell);
            return model.Head.LogProbabilities(output.Output);
        }, lastStepOnly: false);
    }

    /// <summary>
    /// From one random state, feeds the same random chunks to GpuRnn (<paramref name="step"/>, which
    /// moves <paramref name="state"/> on) and to the ONNX graph (its outputs fed back), comparing
    /// the scores (every step's, or the chunk's last) and the states after every chunk.
    /// </summary>
    private static void Compare(InferenceSession session, TaskSpec spec, Random rng, RecurrentState state, string scores,
        Func<int[], int, double[]> step, bool lastStepOnly)
    {
        int batch = state.Batch, v = spec.OutputSize, vocabulary = spec.InputVocabulary!.Count;
        var lstm = spec.Cell == RnnCellKind.Lstm;
        var h = TestRandom.Tensor(rng, state.Hidden.Shape, DType.Float32, 0.5);
        var c = lstm ? TestRandom.Tensor(rng, state.Cell!.Shape, DType.Float32, 0.5) : null;
        using (var hd = h.ToDevice(state.Backend))
        using (var cd = c?.ToDevice(state.Backend))
            state.CopyFrom(hd, cd);
        var h0 = OrtRun.Floats(h.ToFloat64Array());
        var c0 = c is null ? null : OrtRun.Floats(c.ToFloat64Array());
        var stateShape = Dims(state.Hidden.Shape);
        foreach (var steps in Chunks)
        {
            var tokens = Enumerable.Range(0, steps * batch).Select(_ => rng.Next(vocabulary)).ToArray();
            var expected = step(tokens, steps);
            var inputs = new List<OrtRun.Input> { new("tokens", tokens.Select(t => (long)t).ToArray(), steps, batch), new("h0", h0, stateShape) };
            if (lstm) inputs.Add(new("c0", c0!, Dims(state.Cell!.Shape)));
            var outputs = lstm ? new[] { scores, "hn", "cn" } : [scores, "hn"];
            var got = OrtRun.Run(session, inputs, outputs);
            Assert.Equal([(long)steps, batch, v], got[scores].Shape);
            var values = lastStepOnly ? got[scores].Values[((steps - 1) * batch * v)..] : got[scores].Values;
            Tolerance.AssertClose(values, expected, Tolerance.Forward32, $"{spec}: {scores} of a chunk of {steps}");
            Tolerance.AssertClose(got["hn"].Values, state.Hidden.ToFloat64Array(), Tolerance.Forward32, $"{spec}: hn after a chunk of {steps}");
            h0 = OrtRun.Floats(got["hn"].Values);
            if (!lstm) continue;
            Tolerance.AssertClose(got["cn"].Values, state.Cell!.ToFloat64Array(), Tolerance.Forward32, $"{spec}: cn after a chunk of {steps}");
            c0 = OrtRun.Floats(got["cn"].Values);
        }
    }

    private static long[] Dims(Shape shape) => shape.Dimensions.ToArray().Select(d => (long)d).ToArray();
}
