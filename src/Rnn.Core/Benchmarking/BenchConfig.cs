using System.Globalization;

namespace GpuRnn.Benchmarking;

/// <summary>
/// One bench configuration: a single-layer, unidirectional, float32, time-major stack with input
/// size I, hidden size H, batch B and T steps. The named ones live in <see cref="Named"/>, the one
/// table every bench reads, and <see cref="Variants"/> (chosen by name only); others are written
/// <c>cell:I:H:B:T</c>.
/// </summary>
/// <param name="Name">The name it is chosen by.</param>
/// <param name="Cell">The recurrent cell.</param>
/// <param name="InputSize">I.</param>
/// <param name="HiddenSize">H.</param>
/// <param name="Batch">B.</param>
/// <param name="Steps">T.</param>
/// <param name="LayerNorm">Layer normalisation inside the cell (<see cref="RnnSpec.LayerNorm"/>).</param>
public sealed record BenchConfig(string Name, RnnCellKind Cell, int InputSize, int HiddenSize, int Batch, int Steps, bool LayerNorm = false)
{
    /// <summary>The named configurations (CPU sizes first, then the GPU sizes).</summary>
    public static IReadOnlyList<BenchConfig> Named { get; } =
    [
        new("lstm-small", RnnCellKind.Lstm, 128, 256, 32, 100),
        new("lstm-med", RnnCellKind.Lstm, 512, 512, 64, 50),
        new("gru-med", RnnCellKind.Gru, 512, 512, 64, 50),
        new("lstm-b1", RnnCellKind.Lstm, 256, 256, 1, 200),
        new("lstm-1024-b64", RnnCellKind.Lstm, 1024, 1024, 64, 50),
        new("lstm-512-b1", RnnCellKind.Lstm, 512, 512, 1, 100),
    ];

    /// <summary>
    /// Named configurations that no bench runs unless asked by name: a named size with a cell
    /// option, to set beside the plain one in the same run (peers that cannot express the option
    /// skip it).
    /// </summary>
    public static IReadOnlyList<BenchConfig> Variants { get; } =
    [
        new("lstm-med-ln", RnnCellKind.Lstm, 512, 512, 64, 50, LayerNorm: true),
    ];

    /// <summary>The configurations run by default on CPU-class backends.</summary>
    public static IReadOnlyList<BenchConfig> CpuDefaults => Named.Take(4).ToList();

    /// <summary>The architecture being timed.</summary>
    public RnnSpec Spec => new(Cell, InputSize, HiddenSize, LayerNorm: LayerNorm);

    /// <summary>
    /// Multiply-adds times two of the forward: the input projection and the recurrent product,
    /// 2 * T * B * G*H * (I + H). Gate math and layer normalisation are not counted (they are O(T*B*H)).
    /// </summary>
    public double ForwardFlops => 2.0 * Steps * Batch * Cell.GateCount() * HiddenSize * (InputSize + (double)HiddenSize);

    /// <summary>
    /// Forward plus backward: the backward's products with the weights (dx, dh) and for the weight
    /// gradients (dW_ih, dW_hh) are each as large as the forward's, so three times the forward.
    /// </summary>
    public double TrainingFlops => 3 * ForwardFlops;

    /// <summary>Parses a configuration name or <c>cell:I:H:B:T</c> (e.g. <c>gru:256:512:16:30</c>).</summary>
    public static BenchConfig Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var key = text.Trim();
        var named = Named.Concat(Variants).FirstOrDefault(c => string.Equals(c.Name, key, StringComparison.OrdinalIgnoreCase));
        if (named is not null) return named;
        var parts = key.Split(':');
        if (parts.Length != 5)
            throw new ArgumentException($"unknown bench configuration '{text}' (expected one of {string.Join(", ", Named.Concat(Variants).Select(c => c.Name))}, or cell:I:H:B:T)");
        var cell = RnnNames.ParseCell(parts[0]);
        var sizes = new int[4];
        string[] what = ["I", "H", "B", "T"];
        for (var i = 0; i < 4; i++)
        {
            if (!int.TryParse(parts[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] <= 0)
                throw new ArgumentException($"bench configuration '{text}': {what[i]} must be a positive integer, got '{parts[i + 1]}'");
        }
        return new BenchConfig(key, cell, sizes[0], sizes[1], sizes[2], sizes[3]);
    }
}
