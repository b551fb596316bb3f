// Loads the state_dict of a torch.nn.LSTM saved as safetensors (2 layers, bidirectional,
// proj_size 4), runs it on every backend present over a padded batch of unsorted lengths, and
// checks the outputs against PyTorch's (expected.safetensors, made by make_weights.py).
//
//   dotnet run -c Release -- [backend ...]        (default: every backend present)
using System.Globalization;
using GpuRnn;
using GpuRnn.Nn;
using GpuRnn.IO;

const double Tolerance = 1e-5;   // relative error ||a - b|| / ||b|| of float32 against PyTorch in float64
var folder = AppContext.BaseDirectory;
var modelPath = Path.Combine(folder, "lstm.safetensors");
var expected = SafeTensors.Read(Path.Combine(folder, "expected.safetensors"));

// With GpuRnn.Gpu referenced, Backend finds the ILGPU backends beside the CPU one.
var present = Backend.Probe().Where(b => b.IsAvailable).Select(b => b.Name).ToArray();
Console.WriteLine($"backends present: {string.Join(", ", present)}");
var failures = present.Contains("ilgpu-cpu") ? 0 : 1;
if (failures > 0) Console.WriteLine("ilgpu-cpu is missing although GpuRnn.Gpu is referenced");
var names = args.Length > 0 ? args : present;
foreach (var name in names)
{
    using var backend = Backend.Create(name);
    // The architecture comes from the tensors' names and shapes (and the "cell" metadata).
    using var lstm = RnnModelFile.Load(modelPath, backend);
    using var x = expected["x"].ToDevice(backend);            // [T, B, I], time-major
    using var h0 = expected["h0"].ToDevice(backend);          // [L*D, B, P]
    using var c0 = expected["c0"].ToDevice(backend);          // [L*D, B, H]
    var lengths = new SequenceLengths(expected["lengths"].AsInt32());   // int64 in the file, read as int32
    using var output = lstm.Forward(x, h0, c0, lengths);

    Console.WriteLine($"{backend.Name}: LSTM(input_size={lstm.InputSize}, hidden_size={lstm.HiddenSize}, num_layers={lstm.NumLayers}, " +
        $"bidirectional={lstm.Bidirectional}, proj_size={lstm.ProjSize}) from {Path.GetFileName(modelPath)}");
    failures += Compare("y", output.Output, expected["y"]);     // [T, B, D*P], zero past each sequence's end
    failures += Compare("hn", output.Hidden, expected["hn"]);   // [L*D, B, P], at each sequence's own last step
    failures += Compare("cn", output.Cell!, expected["cn"]);    // [L*D, B, H]
}

// The other way: GpuRnn writes the same names, shapes and values back.
using (var cpu = Backend.Create("cpu"))
using (var lstm = RnnModelFile.Load(modelPath, cpu))
{
    var copy = Path.Combine(Path.GetTempPath(), $"gpurnn-sample-{Environment.ProcessId}.safetensors");
    RnnModelFile.Save(copy, lstm);
    var original = SafeTensors.Read(modelPath);
    var written = SafeTensors.Read(copy);
    File.Delete(copy);
    var same = original.Names.Order().SequenceEqual(written.Names.Order())
        && original.Names.All(n => original[n].AsFloat32().AsSpan().SequenceEqual(written[n].AsFloat32()));
    Console.WriteLine($"saved back as safetensors: {(same ? "the same tensors under the same names" : "DIFFERENT TENSORS")}");
    if (!same) failures++;
}

Console.WriteLine(failures == 0 ? "ok" : $"FAILED: {failures} mismatches");
return failures == 0 ? 0 : 1;

static int Compare(string name, Tensor actual, HostTensor expected)
{
    var a = actual.ToHost().ToFloat64Array();
    var b = expected.ToFloat64Array();
    if (actual.Shape != expected.Shape)
    {
        Console.WriteLine($"  {name}: shape {actual.Shape}, PyTorch's is {expected.Shape}");
        return 1;
    }
    double diff = 0, norm = 0;
    for (var i = 0; i < a.Length; i++)
    {
        diff += (a[i] - b[i]) * (a[i] - b[i]);
        norm += b[i] * b[i];
    }
    var relative = Math.Sqrt(diff / norm);
    var ok = relative <= Tolerance;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {name} {actual.Shape}: relative error {relative:E1} against PyTorch {(ok ? "(ok)" : $"(MORE THAN {Tolerance:E0})")}"));
    return ok ? 0 : 1;
}
