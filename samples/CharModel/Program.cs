// Trains a character-level LSTM, samples from it, saves a checkpoint that `gpurnn sample` reads,
// and loads it back. With no arguments it learns GpuRnn's built-in arithmetic text
// ("17+25=42", one statement per line); give a UTF-8 file to learn that instead.
//
//   dotnet run -c Release -- [text file] [--steps N] [--backend cpu|auto|...]
using System.Globalization;
using GpuRnn;
using GpuRnn.Nn;
using GpuRnn.Data;
using GpuRnn.Training;
using GpuRnn.Tasks;
using GpuRnn.Tasks.BuiltIn;
using GpuRnn.IO;
using GpuRnn.Sampling;

var file = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && !IsOptionValue(a));
var steps = int.Parse(Option("--steps") ?? "300", CultureInfo.InvariantCulture);
var backendName = Option("--backend") ?? "auto";

// Only the package GpuRnn is referenced: the CPU backend is there, the ILGPU ones are not.
var present = Backend.Probe().Where(b => b.IsAvailable).Select(b => b.Name).ToArray();
Console.WriteLine($"backends present: {string.Join(", ", present)}");
var cpuOnly = present.SequenceEqual(["cpu"]);

// The example of the README, as it is written there.
using var backend = Backend.Create(backendName);                      // cuda, then opencl, then cpu
var corpus = file is null ? ArithmeticCorpus.Create(seed: 1, statements: 4000) : TextCorpus.Load(file);
var spec = new CharModelSpec(RnnCellKind.Lstm, corpus.Vocabulary.Count, EmbeddingSize: 16, HiddenSize: 64);
using var model = new CharRnnModel(backend, CharLmTask.Spec(spec, corpus.Vocabulary));
using var trainer = new Trainer(model, corpus, new TrainingOptions(Batch: 16, SequenceLength: 32, Steps: steps, EvalEvery: 100));
var before = trainer.EvaluateNow().Validation;
var result = trainer.Run(new ProgressPrinter());
var after = trainer.LastEvaluation!.Value.Validation;
var text = Sampler.Generate(model, corpus.Vocabulary, "", 120, new SamplingOptions(Temperature: 0.8, Seed: 3));
Checkpoint.Save("model.safetensors", trainer.Capture());

Console.WriteLine($"backend {backend.Name}; {corpus.Name}: {corpus.Vocabulary.Count} distinct characters; model {spec}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{result.Status} after {result.Step} steps: validation {before.BitsPerCharacter:F3} -> {after.BitsPerCharacter:F3} bits/char, accuracy {after.Accuracy:P1}"));
Console.WriteLine("sample (temperature 0.8):");
Console.WriteLine(text);

// A checkpoint holds the model, its vocabulary and the optimizer: load it and sample again.
var (loaded, snapshot) = Checkpoint.LoadModel("model.safetensors", backend);
using (loaded)
{
    var again = Sampler.Generate((CharRnnModel)loaded, CharLmTask.Characters(snapshot.Spec), "", 120, new SamplingOptions(Temperature: 0.8, Seed: 3));
    Console.WriteLine($"wrote model.safetensors (step {snapshot.Step}); reloaded, it samples {(again == text ? "the same text" : "OTHER TEXT")}");
    var learned = result.Status == TrainingStatus.Completed && after.Loss < 0.8 * before.Loss && again == text;
    Console.WriteLine(!cpuOnly ? "FAILED: GpuRnn alone should bring only the cpu backend"
        : learned ? "ok" : "FAILED: the model did not learn, or the checkpoint does not give it back");
    return cpuOnly && learned ? 0 : 1;
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

bool IsOptionValue(string a)
{
    var i = Array.IndexOf(args, a);
    return i > 0 && args[i - 1].StartsWith("--", StringComparison.Ordinal);
}

/// <summary>Prints the validation result whenever the trainer measures it.</summary>
sealed class ProgressPrinter : ITrainingObserver
{
    public void OnStep(in StepReport report) { }

    public void OnEvaluation(in EvaluationReport report) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"step {report.Step}: training loss {report.TrainLoss:F3}, validation {report.Validation.BitsPerCharacter:F3} bits/char"));

    public void OnCheckpoint(TrainingLoop trainer) { }
}
