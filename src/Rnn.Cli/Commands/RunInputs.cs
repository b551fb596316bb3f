using System.Globalization;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// The inputs of <c>gpurnn run</c>, read from a safetensors file and checked against the model
/// before anything runs: <c>x</c> [T, B, I] (time-major), optional <c>h0</c> [L*D, B, P],
/// <c>c0</c> [L*D, B, H] (LSTM) and <c>lengths</c> [B] (I32 or I64). Float tensors are converted
/// to the model's dtype.
/// </summary>
/// <param name="X">x [T, B, I] in the model's dtype.</param>
/// <param name="H0">h0 [L*D, B, P], or null.</param>
/// <param name="C0">c0 [L*D, B, H], or null.</param>
/// <param name="Lengths">Per-sequence lengths [B], each in [1, T], or null.</param>
public sealed record RunInputs(HostTensor X, HostTensor? H0, HostTensor? C0, int[]? Lengths)
{
    /// <summary>The names an input file may hold.</summary>
    public static readonly IReadOnlyList<string> Names = ["x", "h0", "c0", "lengths"];

    /// <summary>Reads and checks the input file; every problem is an <see cref="InvalidDataException"/> naming the file, the tensor and the expected value.</summary>
    public static RunInputs Load(string path, RnnSpec spec, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var file = SafeTensors.Read(path);
        foreach (var name in file.Names)
        {
            if (!Names.Contains(name))
                throw Bad(path, $"unexpected tensor '{name}' {file.Tensors[name].Shape} (an input file holds x [T, B, {spec.InputSize}] and optionally h0, c0 and lengths)");
        }
        if (!file.Contains("x"))
            throw Bad(path, $"has no tensor 'x' (expected x [T, B, {spec.InputSize}], time-major; the file holds {file.DescribeNames()})");

        var x = Float(file, "x", path, dtype);
        if (x.Shape.Rank != 3)
            throw Bad(path, $"x has shape {x.Shape} but a rank-3 tensor [T, B, {spec.InputSize}] (time-major) was expected");
        int steps = x.Shape[0], batch = x.Shape[1];
        if (x.Shape[2] != spec.InputSize)
            throw Bad(path, $"x has input size {x.Shape[2]} (shape {x.Shape}) but the model's input size is {spec.InputSize}");
        if (steps == 0 || batch == 0)
            throw Bad(path, $"x has shape {x.Shape}; it needs at least one time step and one sequence");

        int states = spec.NumLayers * spec.Directions;
        HostTensor? h0 = null, c0 = null;
        if (file.Contains("h0"))
        {
            h0 = Float(file, "h0", path, dtype);
            Expect(path, "h0", h0.Shape, new Shape(states, batch, spec.StateSize), $"[L*D, B, {(spec.ProjSize > 0 ? "P" : "H")}]");
        }
        if (file.Contains("c0"))
        {
            if (spec.Cell != RnnCellKind.Lstm)
                throw Bad(path, $"has c0 but the model is a {spec.Cell.ToName()}, which has no cell state (c0 is for lstm only)");
            c0 = Float(file, "c0", path, dtype);
            Expect(path, "c0", c0.Shape, new Shape(states, batch, spec.HiddenSize), "[L*D, B, H]");
        }
        return new RunInputs(x, h0, c0, file.Contains("lengths") ? ReadLengths(file, path, steps, batch) : null);
    }

    private static int[] ReadLengths(SafeTensorsFile file, string path, int steps, int batch)
    {
        var tensor = file["lengths"];
        if (tensor.DType != DType.Int32)
            throw Bad(path, $"lengths is {file.StoredDType("lengths")} but an integer tensor (I32 or I64) was expected");
        if (tensor.Shape != new Shape(batch))
            throw Bad(path, $"lengths has shape {tensor.Shape} but [{batch}] (one length per sequence, B = {batch}) was expected");
        var lengths = tensor.AsInt32();
        for (var b = 0; b < lengths.Length; b++)
        {
            if (lengths[b] < 1)
                throw Bad(path, $"lengths[{b}] is {lengths[b]} but every sequence needs at least 1 step");
            if (lengths[b] > steps)
                throw Bad(path, $"lengths[{b}] is {lengths[b]} but x has only {steps} time steps (T)");
        }
        return lengths;
    }

    private static HostTensor Float(SafeTensorsFile file, string name, string path, DType dtype)
    {
        var stored = file[name];
        if (!stored.DType.IsFloatingPoint())
            throw Bad(path, $"{name} is {file.StoredDType(name)} but a float tensor (F32 or F64) was expected");
        // SafeTensors.Read has refused a stored NaN or infinity; a conversion may still overflow.
        if (stored.DType == dtype) return stored;
        var converted = stored.ConvertTo(dtype);
        CheckFinite(converted, name, path, $"which overflows {dtype.DisplayName()}, the model's dtype");
        return converted;
    }

    // Checked before running: a NaN would otherwise spread silently through every later step.
    private static void CheckFinite(HostTensor t, string name, string path, string why)
    {
        var index = FiniteCheck.FirstNonFinite(t);
        if (index < 0) return;
        var value = t.DType == DType.Float32 ? t.AsFloat32()[index] : t.AsFloat64()[index];
        var original = $"{value.ToString(CultureInfo.InvariantCulture)}, {why}";
        throw Bad(path, $"{name}{FiniteCheck.FormatIndex(t.Shape, index)} is {original}; inputs must be finite numbers");
    }

    private static void Expect(string path, string name, Shape actual, Shape expected, string layout)
    {
        if (actual != expected)
            throw Bad(path, $"{name} has shape {actual} but {expected} ({layout}) was expected for this model and x");
    }

    private static InvalidDataException Bad(string path, string problem) => new($"{path}: {problem}");
}
