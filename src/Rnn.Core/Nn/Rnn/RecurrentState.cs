namespace GpuRnn.Nn;

/// <summary>
/// The hidden state a model carries from one chunk of text to the next (truncated BPTT, and
/// sampling one character at a time): h [L, B, H] and, for LSTM, c [L, B, H]. Carried state is
/// a copy, detached from the graph: no gradient flows into the previous chunk.
/// </summary>
public sealed class RecurrentState : IDisposable
{
    /// <summary>Allocates a zero state for <paramref name="batch"/> sequences of a stack of <paramref name="spec"/>.</summary>
    public RecurrentState(IBackend backend, RnnSpec spec, int batch, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(spec);
        if (batch <= 0) throw new ArgumentException($"batch size must be positive, got {batch}");
        Backend = backend;
        Batch = batch;
        Hidden = backend.Allocate(new Shape(spec.NumLayers * spec.Directions, batch, spec.StateSize), dtype);
        Cell = spec.Cell == RnnCellKind.Lstm ? backend.Allocate(new Shape(spec.NumLayers * spec.Directions, batch, spec.HiddenSize), dtype) : null;
    }

    /// <summary>The backend that holds the state.</summary>
    public IBackend Backend { get; }

    /// <summary>Sequences, B.</summary>
    public int Batch { get; }

    /// <summary>h: [L, B, H].</summary>
    public Tensor Hidden { get; }

    /// <summary>c: [L, B, H] for LSTM, else null.</summary>
    public Tensor? Cell { get; }

    /// <summary>Sets the state to zero (the start of a text).</summary>
    public void Reset()
    {
        Backend.Fill(Hidden, 0);
        if (Cell is not null) Backend.Fill(Cell, 0);
    }

    /// <summary>Copies a forward's final states into this state.</summary>
    public void CopyFrom(Tensor hidden, Tensor? cell)
    {
        Backend.Copy(hidden, Hidden);
        if (Cell is not null && cell is not null) Backend.Copy(cell, Cell);
    }

    /// <summary>
    /// Reorders sequences: sequence b of the result is sequence <paramref name="sources"/>[b] of
    /// this state (beam search keeps the states of the surviving hypotheses).
    /// </summary>
    public void Gather(ReadOnlySpan<int> sources)
    {
        if (sources.Length != Batch) throw new ArgumentException($"{sources.Length} sources given for a state of {Batch} sequences");
        GatherRows(Hidden, sources);
        if (Cell is not null) GatherRows(Cell, sources);
    }

    private void GatherRows(Tensor state, ReadOnlySpan<int> sources)
    {
        int layers = state.Shape[0], width = state.Shape[2];
        using var copy = Backend.Allocate(state.Shape, state.DType);
        Backend.Copy(state, copy);
        using var rowsFrom = copy.Reshape(new Shape(layers * Batch, width));
        using var rowsTo = state.Reshape(new Shape(layers * Batch, width));
        for (var l = 0; l < layers; l++)
            for (var b = 0; b < Batch; b++)
            {
                var from = sources[b];
                if ((uint)from >= (uint)Batch) throw new ArgumentOutOfRangeException(nameof(sources), $"source {from} is outside [0, {Batch})");
                Backend.Copy(rowsFrom.Slice(l * Batch + from, 1), rowsTo.Slice(l * Batch + b, 1));
            }
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Hidden.Dispose();
        Cell?.Dispose();
    }
}
