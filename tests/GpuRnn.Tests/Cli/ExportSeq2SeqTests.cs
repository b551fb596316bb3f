using GpuRnn.Cpu;
using GpuRnn.Tests.IO;
using GpuRnn.Tests.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using static GpuRnn.Tests.Cli.ExportFixtures;

namespace GpuRnn.Tests.Cli;

/// <summary>
/// <c>gpurnn export</c> of a seq2seq checkpoint trained a few steps on built-in data: the encoder
/// file on a batch of random sources of variable lengths, then the decoder-step file token by
/// token from each source's encoded state, give what GpuRnn's decoding session gives; a whole
/// target fed at once gives GpuRnn's teacher-forced log-probability of it.
/// </summary>
public sealed class ExportSeq2SeqTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("lstm", 2, true)]
    [InlineData("gru", 1, true)]
    [InlineData("lstm", 1, false)]
    public void EncoderAndDecoderStepMatchTheDecodingSession(string cell, int layers, bool reverse)
    {
        var checkpoint = Train(_folder, "seq2seq", "--cell", cell, "--layers", layers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--reverse-source", reverse ? "true" : "false");
        var onnx = _folder.File("s2s.onnx");
        var result = Gpurnn.Run("export", "--model", checkpoint, "--onnx", onnx);
        result.AssertSucceeded();
        string encoderFile = _folder.File("s2s.encoder.onnx"), decoderFile = _folder.File("s2s.decoder.onnx");
        Assert.Contains($"{encoderFile} (encoder): tokens [S, B] int64, lengths [B] int32 -> ", result.Out);
        Assert.Contains($"{decoderFile} (decoder): tokens [T, B] int64, h0", result.Out);
        Assert.False(File.Exists(onnx));

        var rng = TestRandom.Create();
        var (loaded, snapshot) = Checkpoint.LoadModel(checkpoint, new CpuBackend());
        using var model = (Seq2SeqModel)loaded;
        var spec = snapshot.Spec;
        Assert.Equal(reverse, spec.ReverseSource);
        int v = spec.OutputSize, rows = spec.NumLayers, h = spec.HiddenSize;
        var lstm = spec.Cell == RnnCellKind.Lstm;
        var examples = Examples(spec, rng, [5, 2, 6, 1]).Select(e => e with
        {
            Output = Enumerable.Range(0, 1 + rng.Next(4)).Select(_ => 1 + rng.Next(v - 1)).ToArray(),
        }).ToArray();
        int batch = examples.Length;
        using var encoder = new InferenceSession(encoderFile);
        using var decoder = new InferenceSession(decoderFile);
        CheckMetadata(encoder, spec, "seq2seq_encoder");
        CheckMetadata(decoder, spec, "seq2seq_decoder_step");
        var states = lstm ? new[] { "hn", "cn" } : ["hn"];
        var encoded = OrtRun.Run(encoder, GraphInputs(spec, rng, examples), states);
        Assert.Equal([(long)rows, batch, h], encoded["hn"].Shape);

        var sequenceLogProbabilities = model.SequenceLogProbabilities(examples);
        for (var b = 0; b < batch; b++)
        {
            // Row b of the encoder's [L, B, H] states: the decoder's start for source b.
            double[] Row(double[] all) => Enumerable.Range(0, rows).SelectMany(l => all.AsSpan((l * batch + b) * h, h).ToArray()).ToArray();
            var h0 = OrtRun.Floats(Row(encoded["hn"].Values));
            var c0 = lstm ? OrtRun.Floats(Row(encoded["cn"].Values)) : null;
            OrtRun.Input[] StateInputs(float[] hs, float[]? cs) => lstm ? [new("h0", hs, rows, 1, h), new("c0", cs!, rows, 1, h)] : [new("h0", hs, rows, 1, h)];

            // Token by token: the end token first, then random tokens, as a search would feed its choices.
            using (var session = model.Session(examples[b], 1))
            {
                float[] hs = h0, cs = c0!;
                foreach (var token in new[] { Seq2SeqModel.EndId }.Concat(Enumerable.Range(0, 3).Select(_ => rng.Next(v))))
                {
                    var expected = session.Next([0], [token]);
                    var got = OrtRun.Run(decoder, [new("tokens", new long[] { token }, 1, 1), .. StateInputs(hs, cs)], ["log_probabilities", .. states]);
                    Tolerance.AssertClose(got["log_probabilities"].Values, expected, Tolerance.Forward32, $"{spec}: source {b}, after token {token}");
                    hs = OrtRun.Floats(got["hn"].Values);
                    if (lstm) cs = OrtRun.Floats(got["cn"].Values);
                }
            }

            // The whole target at once (teacher forcing): </s> y1..yn in, log p(y1..yn </s>) summed.
            var y = examples[b].Output!;
            var inputs = new long[] { Seq2SeqModel.EndId }.Concat(y.Select(t => (long)t)).ToArray();
            var scores = OrtRun.Run(decoder, [new("tokens", inputs, inputs.Length, 1), .. StateInputs(h0, c0)], "log_probabilities")["log_probabilities"];
            var targets = y.Append(Seq2SeqModel.EndId).ToArray();
            var sum = targets.Select((t, step) => scores.Values[step * v + t]).Sum();
            Tolerance.AssertClose([sum], [sequenceLogProbabilities[b]], Tolerance.Forward32, $"{spec}: log p(target {b})");
        }
    }

    [Fact]
    public void ASeq2SeqPartThatWouldBeTheInputIsAUsageError()
    {
        var checkpoint = Train(_folder, "seq2seq");
        var model = _folder.File("m.encoder.onnx");
        File.Copy(checkpoint, model);
        var line = Gpurnn.Run("export", "--model", model, "--onnx", _folder.File("m.onnx")).AssertFailed(GpuRnn.Cli.ExitCodes.Usage);
        Assert.Contains("--onnx's encoder file", line);
        Assert.Contains("same file", line);
        Assert.False(File.Exists(_folder.File("m.decoder.onnx")));
    }
}
