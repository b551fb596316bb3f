// Runs a classifier exported by `gpurnn export` in ONNX Runtime, as an application serving it
// would: the vocabulary and the labels come from the ONNX model's metadata, texts become token ids
// [T, B] and lengths [B], and the graph returns class probabilities [B, K]. Then it checks every
// probability against GpuRnn's own prediction from the checkpoint the file was exported from.
//
//   gpurnn train --task classify --out run/model.safetensors
//   gpurnn export --model run/model.safetensors --onnx run/model.onnx
//   dotnet run -c Release -- --model run/model.safetensors --onnx run/model.onnx
using System.Globalization;
using System.Text.Json;
using GpuRnn;
using GpuRnn.Data;
using GpuRnn.Tasks;
using GpuRnn.IO;
using Microsoft.ML.OnnxRuntime;

var onnxPath = Option("--onnx") ?? throw new ArgumentException("--onnx FILE is required");
var modelPath = Option("--model") ?? throw new ArgumentException("--model FILE (the checkpoint exported) is required");
string[] texts = ["the plot was not very good", "a wonderful and moving film", "the acting was terrible", "i loved it"];

// --- What an application needs: ONNX Runtime and the file. ---
using var session = new InferenceSession(onnxPath);
var meta = session.ModelMetadata.CustomMetadataMap;
var vocabulary = JsonSerializer.Deserialize<string[]>(meta["gpurnn.input_vocabulary"])!;
var labels = JsonSerializer.Deserialize<string[]>(meta["gpurnn.output_vocabulary"])!;
var unknown = Array.IndexOf(vocabulary, "<unk>");
var ids = texts.Select(t => t.Split(' ').Select(w => Array.IndexOf(vocabulary, w) is var i and >= 0 ? i : unknown).ToArray()).ToArray();
int batch = texts.Length, steps = ids.Max(s => s.Length);
var tokens = new long[steps * batch];                       // [T, B] time-major; past an end, any id
var lengths = ids.Select(s => s.Length).ToArray();          // [B]
for (var b = 0; b < batch; b++)
    for (var t = 0; t < lengths[b]; t++) tokens[t * batch + b] = ids[b][t];
using var tokenValue = OrtValue.CreateTensorValueFromMemory(tokens, [steps, batch]);
using var lengthValue = OrtValue.CreateTensorValueFromMemory(lengths, [batch]);
using var runOptions = new RunOptions();
using var results = session.Run(runOptions, ["tokens", "lengths"], [tokenValue, lengthValue], ["probabilities"]);
var probabilities = results[0].GetTensorDataAsSpan<float>().ToArray();   // [B, K]
int k = labels.Length;
for (var b = 0; b < batch; b++)
{
    var row = probabilities.AsSpan(b * k, k);
    var best = row.IndexOf(row.ToArray().Max());
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {texts[b],-30} -> {labels[best]} ({row[best]:P1})"));
}

// --- The check: GpuRnn's own probabilities for the same ids, from the checkpoint. ---
using var backend = Backend.Create("cpu");
var (model, _) = Checkpoint.LoadModel(modelPath, backend);
using (model)
{
    var examples = ids.Select(s => new SequenceExample { Length = s.Length, Tokens = s }).ToArray();
    var expected = ((SequenceClassifier)model).Predict(examples).SelectMany(r => r).ToArray();
    var worst = expected.Select((e, i) => Math.Abs(e - probabilities[i])).Max();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ONNX Runtime against GpuRnn: largest difference {worst:E2} over {expected.Length} probabilities"));
    Console.WriteLine(worst <= 1e-5 ? "ok" : "FAILED: ONNX Runtime and GpuRnn disagree");
    return worst <= 1e-5 ? 0 : 1;
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
