namespace GpuRnn.Cli.Commands;

/// <summary>
/// What <c>gpurnn train</c> was given on the command line; null means not given (a default, or
/// when resuming, the checkpoint's value applies).
/// </summary>
public sealed record TrainRequest
{
    /// <summary>charlm (the character model, the default), classify, tag, seq2seq, adding, copy or wordlm.</summary>
    public string? Task { get; init; }

    /// <summary>Bidirectional recurrent layers (classify, tag).</summary>
    public bool? Bidirectional { get; init; }

    /// <summary>Many-to-one pooling: last or mean.</summary>
    public string? Pool { get; init; }

    /// <summary>Adding: sequence length T; copy: the delay T.</summary>
    public int? Length { get; init; }

    /// <summary>Copy: symbols to remember.</summary>
    public int? CopyCount { get; init; }

    /// <summary>Tokenization of texts: char, word or space; <c>SRC,TGT</c> for seq2seq.</summary>
    public string? Tokenize { get; init; }

    /// <summary>Input tokens seen fewer times in training are read as &lt;unk&gt;.</summary>
    public int? MinCount { get; init; }

    /// <summary>Word model output layer: full or class.</summary>
    public string? Softmax { get; init; }

    /// <summary>Classes of the class-based softmax (0 = about sqrt(V)).</summary>
    public int? Classes { get; init; }

    /// <summary>Seq2seq: read the source backwards.</summary>
    public bool? ReverseSource { get; init; }

    /// <summary>Seq2seq: beam width of the final evaluation (1 = greedy).</summary>
    public int Beam { get; init; } = 1;

    /// <summary>A UTF-8 text file to train on, or null for the built-in arithmetic corpus.</summary>
    public string? Data { get; init; }

    /// <summary>lstm, gru, rnn_tanh or rnn_relu.</summary>
    public string? Cell { get; init; }

    /// <summary>Hidden units per layer.</summary>
    public int? Hidden { get; init; }

    /// <summary>Recurrent layers.</summary>
    public int? Layers { get; init; }

    /// <summary>Character embedding width.</summary>
    public int? Embedding { get; init; }

    /// <summary>Dropout between layers and before the decoder.</summary>
    public double? Dropout { get; init; }

    /// <summary>Recurrent weight initialisation: default, orthogonal or identity.</summary>
    public string? Init { get; init; }

    /// <summary>LSTM forget-gate bias 1.</summary>
    public bool? ForgetBias { get; init; }

    /// <summary>Layer normalisation inside the cell (lstm, gru).</summary>
    public bool? LayerNorm { get; init; }

    /// <summary>Zoneout probability on h (lstm, gru), in [0, 1).</summary>
    public double? Zoneout { get; init; }

    /// <summary>Zoneout probability on the LSTM cell state c, in [0, 1).</summary>
    public double? ZoneoutCell { get; init; }

    /// <summary>LSTM cell-state clip k &gt; 0.</summary>
    public double? CellClip { get; init; }

    /// <summary>Parallel streams per step.</summary>
    public int? Batch { get; init; }

    /// <summary>Characters per stream per step (BPTT length).</summary>
    public int? Seq { get; init; }

    /// <summary>The step to train to.</summary>
    public long? Steps { get; init; }

    /// <summary>Passes over the training text to train for (instead of steps).</summary>
    public int? Epochs { get; init; }

    /// <summary>Peak learning rate.</summary>
    public double? LearningRate { get; init; }

    /// <summary>sgd, adam, adamw or rmsprop.</summary>
    public string? Optimizer { get; init; }

    /// <summary>SGD and RMSprop momentum.</summary>
    public double? Momentum { get; init; }

    /// <summary>Weight decay.</summary>
    public double? WeightDecay { get; init; }

    /// <summary>constant, step or cosine.</summary>
    public string? Schedule { get; init; }

    /// <summary>Linear warm-up steps.</summary>
    public long? Warmup { get; init; }

    /// <summary>Gradient-norm limit (0 = off).</summary>
    public double? Clip { get; init; }

    /// <summary>Seed of the initial weights and dropout masks.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Backend name or auto.</summary>
    public string Backend { get; init; } = "auto";

    /// <summary>Checkpoint path; its folder is the run folder.</summary>
    public string? Out { get; init; }

    /// <summary>Checkpoint to continue from.</summary>
    public string? Resume { get; init; }

    /// <summary>Steps between validations.</summary>
    public int? EvalEvery { get; init; }

    /// <summary>Steps between checkpoints.</summary>
    public int? CheckpointEvery { get; init; }

    /// <summary>Characters of the sample printed at the end (0 = none).</summary>
    public int SampleLength { get; init; } = 200;

    /// <summary>Temperature of that sample.</summary>
    public double Temperature { get; init; } = 0.8;
}
