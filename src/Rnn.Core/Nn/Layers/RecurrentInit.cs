namespace GpuRnn.Nn;

/// <summary>How the recurrent weights <c>weight_hh</c> of a stack start.</summary>
public enum RecurrentInit
{
    /// <summary>PyTorch's default: U(-1/sqrt(H), 1/sqrt(H)), like every other parameter.</summary>
    Default,

    /// <summary>Each gate's [H, P] block of weight_hh is a random orthogonal matrix (Saxe et al. 2014).</summary>
    Orthogonal,

    /// <summary>
    /// IRNN (Le, Jaitly and Hinton 2015): weight_hh is the identity and the biases are zero, so a
    /// relu RNN starts by carrying its state unchanged. RNN cells only.
    /// </summary>
    Identity,
}

/// <summary>Applies <see cref="RecurrentInit"/> and the LSTM forget-gate bias to a stack after its default initialisation.</summary>
public static class RecurrentInitializer
{
    /// <summary>The command-line names: <c>default</c>, <c>orthogonal</c>, <c>identity</c>.</summary>
    public static string ToName(this RecurrentInit init) => Names.Name(init);

    /// <summary>Parses a name of <see cref="ToName"/>.</summary>
    public static RecurrentInit Parse(string name) => Names.Parse(name);

    private static readonly NameTable<RecurrentInit> Names = new NameTable<RecurrentInit>("recurrent initialisation", otherwise: RecurrentInit.Default)
        .Add(RecurrentInit.Default, "default")
        .Add(RecurrentInit.Orthogonal, "orthogonal")
        .Add(RecurrentInit.Identity, "identity", "irnn");

    /// <summary>
    /// Re-initialises the recurrent weights of every layer and direction as <paramref name="init"/>
    /// says and, with <paramref name="forgetBias"/>, sets the LSTM forget gate's bias to 1
    /// (bias_ih's f block 1, bias_hh's f block 0, so their sum is 1; Jozefowicz et al. 2015).
    /// </summary>
    /// <exception cref="ArgumentException">Identity on a gated cell, or a forget bias on a cell without one.</exception>
    public static void Apply(RnnStack stack, RecurrentInit init, bool forgetBias, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var spec = stack.Spec;
        if (init == RecurrentInit.Identity && spec.Cell is not (RnnCellKind.RnnRelu or RnnCellKind.RnnTanh))
            throw new ArgumentException($"the identity initialisation (IRNN) is for rnn_relu and rnn_tanh, not {spec.Cell.ToName()}");
        if (forgetBias && spec.Cell != RnnCellKind.Lstm)
            throw new ArgumentException($"a forget-gate bias needs an lstm, not {spec.Cell.ToName()}");
        if (forgetBias && !spec.Bias)
            throw new ArgumentException("a forget-gate bias needs a model with biases");
        int h = spec.HiddenSize, p = spec.StateSize, gates = spec.GateCount;
        for (var k = 0; k < spec.NumLayers; k++)
        {
            for (var d = 0; d < spec.Directions; d++)
            {
                var w = stack.LayerWeights(k).Directions[d];
                var blockSeed = CounterRng.Hash(seed, (ulong)(k * spec.Directions + d));
                switch (init)
                {
                    case RecurrentInit.Orthogonal:
                        var hh = new double[gates * h * p];
                        for (var g = 0; g < gates; g++)
                            Init.OrthogonalMatrix(h, p, CounterRng.Hash(blockSeed, (ulong)g)).CopyTo(hh, g * h * p);
                        TensorExtensions.Upload(w.WeightHh, hh);
                        break;
                    case RecurrentInit.Identity:
                        var eye = new double[h * h];
                        for (var i = 0; i < h; i++) eye[i * h + i] = 1;
                        TensorExtensions.Upload(w.WeightHh, eye);
                        if (w.BiasIh is not null) stack.Backend.Fill(w.BiasIh, 0);
                        if (w.BiasHh is not null) stack.Backend.Fill(w.BiasHh, 0);
                        break;
                }
                if (forgetBias)
                {
                    // LSTM gate order i, f, g, o: the forget gate is rows [H, 2H).
                    stack.Backend.Fill(w.BiasIh!.Reshape(new Shape(4, h)).Slice(1, 1), 1);
                    stack.Backend.Fill(w.BiasHh!.Reshape(new Shape(4, h)).Slice(1, 1), 0);
                }
            }
        }
    }
}
