using System.Numerics;

namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// What one direction of a layer with cell options (layer norm, zoneout, cell clipping) keeps for
/// its backward, indexed by time t (not processing order) and row b, as in <see cref="DirectionState{T}"/>.
/// Buffers a layer's options do not need are empty. Managed arrays: this is the reference path.
/// </summary>
internal sealed class CellOptionsState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public CellOptionsState(RnnLayerDesc layer, int steps, int batch, int direction, int[]? lengths)
    {
        Layer = layer;
        Steps = steps;
        Batch = batch;
        Direction = direction;
        Lengths = lengths;
        int rows = steps * batch, h = layer.HiddenSize, gh = layer.GateCount * h, p = layer.StateSize;
        var lstm = layer.HasCellState;
        InputPre = new T[rows * gh];
        RecurrentHat = layer.LayerNorm ? new T[rows * gh] : [];
        InputRstd = layer.LayerNorm ? new T[rows] : [];
        RecurrentRstd = layer.LayerNorm ? new T[rows] : [];
        Gates = new T[rows * gh];
        H = new T[rows * p];
        C = lstm ? new T[rows * h] : [];
        CellRaw = lstm ? new T[rows * h] : [];
        CellHat = lstm && layer.LayerNorm ? new T[rows * h] : [];
        CellRstd = lstm && layer.LayerNorm ? new T[rows] : [];
        TanhCell = lstm ? new T[rows * h] : [];
        M = lstm && layer.ProjSize > 0 ? new T[rows * h] : [];
        // GRU: reset-after keeps W_hn h + b_hn (after layer norm), reset-before keeps r * h(t-1).
        GruExtra = lstm ? [] : new T[rows * h];
    }

    public RnnLayerDesc Layer { get; }
    public int Steps { get; }
    public int Batch { get; }
    public int Direction { get; }
    public int[]? Lengths { get; }

    /// <summary>[T, B, G*H]: W_ih x (no bias) before the forward's step loop; with layer norm, its normalised x̂.</summary>
    public T[] InputPre { get; }

    /// <summary>[T, B, G*H]: the normalised x̂ of W_hh h(t-1) (layer norm only).</summary>
    public T[] RecurrentHat { get; }

    /// <summary>[T, B]: 1 / sqrt(var + eps) of each normalised row.</summary>
    public T[] InputRstd { get; }
    public T[] RecurrentRstd { get; }

    /// <summary>[T, B, G*H]: gate activations (LSTM i, f, g, o; GRU r, z, n).</summary>
    public T[] Gates { get; }

    /// <summary>[T, B, P] and [T, B, H]: the states after each step, after zoneout (carried where inactive).</summary>
    public T[] H { get; }
    public T[] C { get; }

    /// <summary>[T, B, H]: LSTM f * c(t-1) + i * g before clipping.</summary>
    public T[] CellRaw { get; }

    /// <summary>[T, B, H] and [T, B]: LN(c)'s x̂ and 1/std.</summary>
    public T[] CellHat { get; }
    public T[] CellRstd { get; }

    /// <summary>[T, B, H]: tanh of the (normalised) cell state that h is made from.</summary>
    public T[] TanhCell { get; }

    /// <summary>[T, B, H]: LSTM m = o * tanh(...) before the projection.</summary>
    public T[] M { get; }

    /// <summary>[T, B, H]: see the constructor.</summary>
    public T[] GruExtra { get; }

    /// <summary>The time index of processing step s: s forward, T-1-s in reverse.</summary>
    public int TimeAt(int s) => Direction == 1 ? Steps - 1 - s : s;

    /// <summary>Whether sequence b takes part in time step t.</summary>
    public bool IsActive(int t, int b) => Lengths is null || t < Lengths[b];

    /// <summary>Row (t, b) of a [T, B, width] buffer.</summary>
    public Span<T> Row(T[] buffer, int t, int b, int width) => buffer.AsSpan((t * Batch + b) * width, width);

    /// <summary>Zoneout mask element of h (t, b, j): whether the unit keeps h(t-1) in training.</summary>
    public bool KeepH(int t, int b, int j) =>
        RnnCellOptions.KeepsPrevious(Layer.ZoneoutSeed, (ulong)(((long)(Direction * Steps + t) * Batch + b) * Layer.StateSize + j), Layer.Zoneout);

    /// <summary>Zoneout mask element of c (t, b, j).</summary>
    public bool KeepC(int t, int b, int j)
    {
        var hMasks = (long)Layer.Directions * Steps * Batch * Layer.StateSize;
        return RnnCellOptions.KeepsPrevious(Layer.ZoneoutSeed,
            (ulong)(hMasks + ((long)(Direction * Steps + t) * Batch + b) * Layer.HiddenSize + j), Layer.ZoneoutCell);
    }
}

/// <summary>The reserve of a layer with cell options: one <see cref="CellOptionsState{T}"/> per direction.</summary>
internal sealed class CellOptionsReserve<T>(CpuBackend backend, RnnLayerDesc layer, int steps, int batch, CellOptionsState<T>[] directions)
    : RnnReserve(backend, layer, steps, batch) where T : unmanaged, IFloatingPointIeee754<T>
{
    public CellOptionsState<T>[] Directions { get; } = directions;

    /// <summary>Managed buffers: nothing to give back.</summary>
    public override void Dispose() { }
}

/// <summary>Layer normalisation of one row, forward and backward, as torch.nn.LayerNorm (biased variance, eps 1e-5).</summary>
internal static class RowNorm
{
    /// <summary>torch.nn.LayerNorm's default epsilon.</summary>
    public const double Epsilon = 1e-5;

    /// <summary>x̂ = (a - mean) / sqrt(var + eps); returns 1 / sqrt(var + eps).</summary>
    public static T Forward<T>(ReadOnlySpan<T> a, Span<T> hat) where T : IFloatingPointIeee754<T>
    {
        var n = T.CreateChecked(a.Length);
        var mean = T.Zero;
        foreach (var v in a) mean += v;
        mean /= n;
        var variance = T.Zero;
        foreach (var v in a) variance += (v - mean) * (v - mean);
        variance /= n;
        var rstd = T.One / T.Sqrt(variance + T.CreateChecked(Epsilon));
        for (var i = 0; i < a.Length; i++) hat[i] = (a[i] - mean) * rstd;
        return rstd;
    }

    /// <summary>da = rstd * (dx̂ - mean(dx̂) - x̂ * mean(dx̂ * x̂)), overwriting dHat with da.</summary>
    public static void Backward<T>(Span<T> dHat, ReadOnlySpan<T> hat, T rstd) where T : IFloatingPointIeee754<T>
    {
        var n = T.CreateChecked(hat.Length);
        T sum = T.Zero, dot = T.Zero;
        for (var i = 0; i < hat.Length; i++) { sum += dHat[i]; dot += dHat[i] * hat[i]; }
        T meanD = sum / n, meanDot = dot / n;
        for (var i = 0; i < hat.Length; i++) dHat[i] = rstd * (dHat[i] - meanD - hat[i] * meanDot);
    }
}
