// Classifies sequences of different lengths: each is a string of the symbols a, b and c (4 to 20
// of them), and its class is the symbol it holds most often. A GRU reads the sequence; its final
// hidden state (taken at each sequence's own last step) goes through a linear head to 3 logits;
// softmax cross-entropy and Adam train both. The same pattern classifies any sequence: replace
// the one-hot symbols by your features [T, B, I] and the labels by yours.
//
//   dotnet run -c Release -- [--steps N] [--backend cpu|auto|...]
using System.Globalization;
using GpuRnn;
using GpuRnn.Nn;
using GpuRnn.Optim;

const int Symbols = 3, MaxLength = 20, Hidden = 32, Batch = 32;
var steps = int.Parse(Option("--steps") ?? "400", CultureInfo.InvariantCulture);
using var backend = Backend.Create(Option("--backend") ?? "auto");

using var gru = new Gru(backend, inputSize: Symbols, hiddenSize: Hidden, seed: 1);
using var head = new Linear(backend, Hidden, Symbols, DType.Float32, "head", seed: 2);
using var loss = new SoftmaxCrossEntropyLoss(backend, DType.Float32);
Parameter[] parameters = [.. gru.Parameters, head.Weight, head.Bias];
using var optimizer = Optimizer.Create(parameters, new OptimizerConfig(OptimizerKind.Adam));
Console.WriteLine($"backend {backend.Name}; GRU(input_size={gru.InputSize}, hidden_size={gru.HiddenSize}) -> Linear({Hidden}, {Symbols})");

var random = new Random(7);
for (var step = 1; step <= steps; step++)
{
    var batch = Draw(random, Batch);
    gru.ZeroGrad();
    backend.Fill(head.Weight.Gradient, 0);
    backend.Fill(head.Bias.Gradient, 0);

    using var x = batch.Inputs.ToDevice(backend);                        // [T, B, I], zero past each end
    using var labels = batch.Labels.ToDevice(backend);                   // [B] int32
    using var output = gru.Forward(x, lengths: batch.Lengths, training: true);
    using var features = output.Hidden.Reshape(new Shape(Batch, Hidden));   // hN [L*D, B, H] with L = D = 1
    using var logits = backend.Allocate(new Shape(Batch, Symbols), DType.Float32);
    head.Forward(features, logits);
    var stats = loss.Compute(logits, labels, dLogits: logits, counted: Batch);   // logits now hold d loss / d logits

    using var dFeatures = backend.Allocate(new Shape(Batch, Hidden), DType.Float32);
    head.Backward(features, logits, dFeatures);
    using var dOutput = backend.Allocate(output.Output.Shape, DType.Float32);   // y is not used: its gradient is 0
    backend.Fill(dOutput, 0);
    using var dHidden = dFeatures.Reshape(output.Hidden.Shape);
    using (gru.Backward(dOutput, dHidden, inputGradient: false)) { }
    GradientClipping.ClipGlobalNorm(parameters, 5);
    optimizer.Step(0.01);
    if (step % 100 == 0)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step}: loss {stats.Loss:F3}, batch accuracy {stats.Accuracy:P0}"));
}

// Held-out sequences, drawn by another generator.
var test = Draw(new Random(11), 500);
var predicted = Predict(test);
var correct = predicted.Where((p, i) => p == test.Labels.AsInt32()[i]).Count();
var accuracy = (double)correct / predicted.Length;
for (var i = 0; i < 4; i++)
    Console.WriteLine($"  {test.Text[i],-20} -> {"abc"[predicted[i]]} (most often: {"abc"[test.Labels.AsInt32()[i]]})");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held-out accuracy {accuracy:P1} on {predicted.Length} sequences (chance is 33%)"));
Console.WriteLine(accuracy >= 0.9 ? "ok" : "FAILED: the classifier did not learn");
return accuracy >= 0.9 ? 0 : 1;

// The arg-max class of every sequence, from a forward without training.
int[] Predict(Sequences data)
{
    var n = data.Lengths.BatchSize;
    using var x = data.Inputs.ToDevice(backend);
    using var output = gru.Forward(x, lengths: data.Lengths);
    using var features = output.Hidden.Reshape(new Shape(n, Hidden));
    using var logits = backend.Allocate(new Shape(n, Symbols), DType.Float32);
    head.Forward(features, logits);
    var values = logits.ToHost().AsFloat32();
    var classes = new int[n];
    for (var b = 0; b < n; b++)
        for (var k = 1; k < Symbols; k++)
            if (values[b * Symbols + k] > values[b * Symbols + classes[b]]) classes[b] = k;
    return classes;
}

// Sequences of 4 to MaxLength symbols whose most frequent symbol is unique, as one-hot [T, B, 3].
static Sequences Draw(Random random, int count)
{
    var inputs = new float[MaxLength * count * Symbols];
    var lengths = new int[count];
    var labels = new int[count];
    var text = new string[count];
    for (var b = 0; b < count; b++)
    {
        int[] counts;
        string s;
        do
        {
            var length = random.Next(4, MaxLength + 1);
            s = new string(Enumerable.Range(0, length).Select(_ => "abc"[random.Next(Symbols)]).ToArray());
            counts = [.. "abc".Select(c => s.Count(x => x == c))];
        } while (counts.Count(c => c == counts.Max()) > 1);
        for (var t = 0; t < s.Length; t++) inputs[(t * count + b) * Symbols + (s[t] - 'a')] = 1;
        lengths[b] = s.Length;
        labels[b] = Array.IndexOf(counts, counts.Max());
        text[b] = s;
    }
    return new Sequences(HostTensor.FromArray(inputs, new Shape(MaxLength, count, Symbols)),
        new SequenceLengths(lengths), HostTensor.FromArray(labels, new Shape(count)), text);
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

/// <summary>A batch: inputs [T, B, 3], lengths [B], labels [B] and the strings themselves.</summary>
record Sequences(HostTensor Inputs, SequenceLengths Lengths, HostTensor Labels, string[] Text);
