namespace GpuRnn.Tests.IO;

/// <summary>Random small <see cref="RnnSpec"/>s covering every option of every cell.</summary>
public static class RandomSpecs
{
    /// <summary>A valid spec of the given cell with random sizes, layers, directions, bias and (LSTM) projection and peepholes.</summary>
    public static RnnSpec Draw(Random rng, RnnCellKind cell)
    {
        var hidden = rng.Next(2, 8);
        var lstm = cell == RnnCellKind.Lstm;
        return new RnnSpec(cell,
            InputSize: rng.Next(1, 8),
            HiddenSize: hidden,
            NumLayers: rng.Next(1, 4),
            Bidirectional: rng.Next(2) == 1,
            Bias: rng.Next(3) > 0,
            ProjSize: lstm && rng.Next(2) == 1 ? rng.Next(1, hidden) : 0,
            Peepholes: lstm && rng.Next(2) == 1,
            GruVariant: cell == RnnCellKind.Gru && rng.Next(2) == 1 ? GruVariant.ResetBefore : GruVariant.ResetAfter).Validate();
    }

    /// <summary>Every cell kind, for theories.</summary>
    public static Xunit.TheoryData<RnnCellKind> Cells => new(RnnCellKind.RnnTanh, RnnCellKind.RnnRelu, RnnCellKind.Lstm, RnnCellKind.Gru);

    /// <summary>The names and shapes of a stack's parameters as <see cref="RnnStack"/> makes them (the independent source).</summary>
    public static List<KeyValuePair<string, Shape>> ShapesOf(RnnSpec spec)
    {
        using var backend = new GpuRnn.Cpu.CpuBackend();
        using var stack = new RnnStack(backend, spec);
        return stack.Parameters.Select(p => new KeyValuePair<string, Shape>(p.Name, p.Value.Shape)).ToList();
    }
}
