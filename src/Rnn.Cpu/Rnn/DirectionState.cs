namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// What one direction's forward computes per step and its backward needs: the reserve of one
/// direction. Indexed by time t (not by processing order), rows b within a step. The buffers are
/// rented from the backend's pool (pinned, possibly longer than needed, contents arbitrary until
/// the forward writes every row of every step) and go back to it on <see cref="Dispose"/>.
/// </summary>
internal sealed class DirectionState<T> : IDisposable where T : unmanaged
{
    private readonly BufferPool _pool;

    public DirectionState(BufferPool pool, RnnLayerDesc layer, int steps, int batch, int direction, int[]? lengths)
    {
        _pool = pool;
        Layer = layer;
        Steps = steps;
        Batch = batch;
        Reverse = direction == 1;
        Lengths = lengths;
        int h = layer.HiddenSize, gh = layer.GateCount * h;
        Gates = pool.Rent<T>(steps * batch * gh);
        H = pool.Rent<T>(steps * batch * layer.StateSize);
        C = layer.HasCellState ? pool.Rent<T>(steps * batch * h) : [];
        // LSTM with projection: m = o * tanh(c) before W_hr; GRU reset-after: W_hn h + b_hn;
        // GRU reset-before: r * h(t-1). Each is what the backward cannot rebuild cheaply.
        var needsExtra = layer.ProjSize > 0 || layer.Cell == RnnCellKind.Gru;
        Extra = needsExtra ? pool.Rent<T>(steps * batch * h) : [];
    }

    /// <summary>The backend's pool, for the scratch a pass over this state needs.</summary>
    public BufferPool Pool => _pool;

    public RnnLayerDesc Layer { get; }
    public int Steps { get; }
    public int Batch { get; }
    public bool Reverse { get; }
    public int[]? Lengths { get; }

    /// <summary>[T, B, G*H]: the input projection, then the gate activations (zero rows where inactive).</summary>
    public T[] Gates { get; private set; }

    /// <summary>[T, B, P]: hidden state after each step (carried through where inactive).</summary>
    public T[] H { get; private set; }

    /// <summary>[T, B, H]: LSTM cell state after each step (carried through where inactive).</summary>
    public T[] C { get; private set; }

    /// <summary>[T, B, H]: the cell-specific intermediate (see constructor).</summary>
    public T[] Extra { get; private set; }

    /// <summary>The time index of processing step s: s forward, T-1-s in reverse.</summary>
    public int TimeAt(int s) => Reverse ? Steps - 1 - s : s;

    /// <summary>Whether sequence b takes part in time step t (t &lt; its length).</summary>
    public bool IsActive(int t, int b) => Lengths is null || t < Lengths[b];

    /// <summary>Rows [B, width] of a [T, B, width] buffer at time t.</summary>
    public Span<T> At(T[] buffer, int t, int width) => buffer.AsSpan(t * Batch * width, Batch * width);

    /// <summary>The first T*B rows [T*B, width] of a buffer, exactly (rented buffers may be longer).</summary>
    public Span<T> All(T[] buffer, int width) => buffer.AsSpan(0, Steps * Batch * width);

    public void Dispose()
    {
        _pool.Return(Gates);
        _pool.Return(H);
        _pool.Return(C);
        _pool.Return(Extra);
        (Gates, H, C, Extra) = ([], [], [], []);
    }
}
