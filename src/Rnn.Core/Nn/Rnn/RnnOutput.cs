namespace GpuRnn.Nn;

/// <summary>What <see cref="RnnStack.Forward"/> returns; the caller owns and disposes the tensors.</summary>
/// <param name="Output">y: [T, B, D*P], the top layer's hidden state at every step (zero past each sequence's end).</param>
/// <param name="Hidden">hN: [L*D, B, P], every layer's and direction's final hidden state.</param>
/// <param name="Cell">cN: [L*D, B, H] for LSTM, else null.</param>
public sealed record RnnOutput(Tensor Output, Tensor Hidden, Tensor? Cell) : IDisposable
{
    /// <summary>Disposes the three tensors.</summary>
    public void Dispose()
    {
        Output.Dispose();
        Hidden.Dispose();
        Cell?.Dispose();
    }
}

/// <summary>What <see cref="RnnStack.Backward"/> returns; the caller owns and disposes the tensors.</summary>
/// <param name="Input">dx: [T, B, I], or null when not asked for.</param>
/// <param name="Hidden">dh0: [L*D, B, P], when the forward was given h0.</param>
/// <param name="Cell">dc0: [L*D, B, H], when the forward was given c0.</param>
public sealed record RnnInputGradients(Tensor? Input, Tensor? Hidden, Tensor? Cell) : IDisposable
{
    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Input?.Dispose();
        Hidden?.Dispose();
        Cell?.Dispose();
    }
}
