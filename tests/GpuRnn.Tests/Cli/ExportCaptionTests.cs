using GpuRnn.Cpu;
using GpuRnn.Tests.IO;
using GpuRnn.Tests.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using static GpuRnn.Tests.Cli.ExportFixtures;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// <c>gpurnn export</c> of a caption checkpoint trained a few steps on built-in data, written as
/// seq2seq's two files: the encoder file (the conditioning) on a batch of random feature vectors
/// gives h0/c0 as the checkpoint's <c>init_hidden</c>/<c>init_cell</c> weights do in float64, then
/// the decoder-step file token by token from each vector's states gives what GpuRnn's decoding
/// session gives; a whole caption fed at once gives GpuRnn's teacher-forced log-probability of it.
/// </summary>
public sealed class ExportCaptionTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    [InlineData("rnn_relu", 2)]
    public void ConditioningAndDecoderStepMatchTheDecodingSession(string cell, int layers)
    {
        var checkpoint = Train(_folder, "caption", "--cell", cell, "--layers", layers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var onnx = _folder.File("cap.onnx");
        var result = Gpurnn.Run("export", "--model", checkpoint, "--onnx", onnx);
        result.AssertSucceeded();
        string encoderFile = _folder.File("cap.encoder.onnx"), decoderFile = _folder.File("cap.decoder.onnx");
        Assert.Contains("exported caption: ", result.Out);
        Assert.Contains($"{decoderFile} (decoder): tokens [T, B] int64, h0", result.Out);
        Assert.False(File.Exists(onnx));

        var rng = TestRandom.Create();
        var (loaded, snapshot) = Checkpoint.LoadModel(checkpoint, new CpuBackend());
        using var model = (CaptionModel)loaded;
        var spec = snapshot.Spec;
        int v = spec.OutputSize, rows = spec.NumLayers, h = spec.HiddenSize, f = spec.FeatureSize;
        Assert.Contains($"{encoderFile} (encoder): features [B, {f}] float32 -> h0", result.Out);
        var lstm = spec.Cell == RnnCellKind.Lstm;
        // One fresh vector per caption (length 1: Features holds F values) and a random caption for teacher forcing.
        var examples = Examples(spec, rng, [1, 1, 1, 1]).Select(e => e with
        {
            Output = Enumerable.Range(0, 1 + rng.Next(4)).Select(_ => 1 + rng.Next(v - 1)).ToArray(),
        }).ToArray();
        int batch = examples.Length;
        using var encoder = new InferenceSession(encoderFile);
        using var decoder = new InferenceSession(decoderFile);
        CheckMetadata(encoder, spec, "caption_encoder");
        CheckMetadata(decoder, spec, "caption_decoder_step");
        var features = OrtRun.Floats(examples.SelectMany(e => e.Features!));
        var states = lstm ? new[] { "h0", "c0" } : ["h0"];
        var newStates = lstm ? new[] { "hn", "cn" } : ["hn"];
        var encoded = OrtRun.Run(encoder, [new("features", features, batch, f)], states);
        var parameters = snapshot.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (state, layer) in lstm ? new[] { ("h0", "init_hidden"), ("c0", "init_cell") } : [("h0", "init_hidden")])
        {
            Assert.Equal([(long)rows, batch, h], encoded[state].Shape);
            Tolerance.AssertClose(encoded[state].Values, InitialState(parameters, layer, features, batch, rows, h, f), Tolerance.Forward32, $"{spec}: {state}");
        }

        var sequenceLogProbabilities = model.SequenceLogProbabilities(examples);
        for (var b = 0; b < batch; b++)
        {
            // Row b of the conditioning's [L, B, H] states: the decoder's start for vector b.
            double[] Row(double[] all) => Enumerable.Range(0, rows).SelectMany(l => all.AsSpan((l * batch + b) * h, h).ToArray()).ToArray();
            var h0 = OrtRun.Floats(Row(encoded["h0"].Values));
            var c0 = lstm ? OrtRun.Floats(Row(encoded["c0"].Values)) : null;
            OrtRun.Input[] StateInputs(float[] hs, float[]? cs) => lstm ? [new("h0", hs, rows, 1, h), new("c0", cs!, rows, 1, h)] : [new("h0", hs, rows, 1, h)];

            // Token by token: the end token first, then random tokens, as a search would feed its choices.
            using (var session = model.Session(examples[b], 1))
            {
                float[] hs = h0, cs = c0!;
                foreach (var token in new[] { CaptionModel.EndId }.Concat(Enumerable.Range(0, 3).Select(_ => rng.Next(v))))
                {
                    var expected = session.Next([0], [token]);
                    var got = OrtRun.Run(decoder, [new("tokens", new long[] { token }, 1, 1), .. StateInputs(hs, cs)], ["log_probabilities", .. newStates]);
                    Tolerance.AssertClose(got["log_probabilities"].Values, expected, Tolerance.Forward32, $"{spec}: vector {b}, after token {token}");
                    hs = OrtRun.Floats(got["hn"].Values);
                    if (lstm) cs = OrtRun.Floats(got["cn"].Values);
                }
            }

            // The whole caption at once (teacher forcing): </s> y1..yn in, log p(y1..yn </s>) summed.
            var y = examples[b].Output!;
            var inputs = new long[] { CaptionModel.EndId }.Concat(y.Select(t => (long)t)).ToArray();
            var scores = OrtRun.Run(decoder, [new("tokens", inputs, inputs.Length, 1), .. StateInputs(h0, c0)], "log_probabilities")["log_probabilities"];
            var targets = y.Append(CaptionModel.EndId).ToArray();
            var sum = targets.Select((t, step) => scores.Values[step * v + t]).Sum();
            Tolerance.AssertClose([sum], [sequenceLogProbabilities[b]], Tolerance.Forward32, $"{spec}: log p(caption {b})");
        }
    }

    [Fact]
    public void ACaptionPartThatWouldBeTheInputIsAUsageError()
    {
        var checkpoint = Train(_folder, "caption");
        var model = _folder.File("m.decoder.onnx");
        File.Copy(checkpoint, model);
        var line = Gpurnn.Run("export", "--model", model, "--onnx", _folder.File("m.onnx")).AssertFailed(GpuRnn.Cli.ExitCodes.Usage);
        Assert.Contains("--onnx's decoder file", line);
        Assert.Contains("same file", line);
        Assert.False(File.Exists(_folder.File("m.encoder.onnx")));
    }

    /// <summary>state[l, b, :] = W[l*H..(l+1)*H-1, :] f_b + bias, in float64 from the checkpoint's <c>{layer}.weight</c> [L*H, F] and <c>.bias</c>.</summary>
    private static double[] InitialState(Dictionary<string, HostTensor> parameters, string layer, float[] features, int batch, int rows, int h, int f)
    {
        var w = parameters[layer + ".weight"].ToFloat64Array();
        var bias = parameters[layer + ".bias"].ToFloat64Array();
        var state = new double[rows * batch * h];
        for (var l = 0; l < rows; l++)
            for (var b = 0; b < batch; b++)
                for (var j = 0; j < h; j++)
                {
                    var unit = l * h + j;
                    var sum = bias[unit];
                    for (var k = 0; k < f; k++) sum += w[unit * f + k] * features[b * f + k];
                    state[(l * batch + b) * h + j] = sum;
                }
        return state;
    }
}
