namespace GpuRnn.Tests.Golden;

/// <summary>A case's inputs on a backend (the file already holds them in the case's dtype).</summary>
internal sealed class GoldenInputs : IDisposable
{
    public required Tensor X { get; init; }
    public Tensor? H0 { get; init; }
    public Tensor? C0 { get; init; }
    public SequenceLengths? Lengths { get; init; }

    public static GoldenInputs Upload(GoldenCase golden, IBackend backend) => new()
    {
        X = golden.File["x"].ToDevice(backend),
        H0 = golden.Optional("h0")?.ToDevice(backend),
        C0 = golden.Optional("c0")?.ToDevice(backend),
        Lengths = golden.Optional("lengths") is { } l ? new SequenceLengths(l.AsInt32()) : null,
    };

    public void Dispose()
    {
        X.Dispose();
        H0?.Dispose();
        C0?.Dispose();
    }
}
