namespace GpuRnn;

/// <summary>
/// A text read as B parallel streams (<see cref="StreamBatcher"/>): step s trains on chunk s of
/// T = <see cref="SequenceLength"/> characters of every stream, starting from the state the
/// previous chunk left (detached; reset at the start of every pass), which is truncated BPTT.
/// Validation reads the validation text the same way (<see cref="CharLmTask.EvaluateText"/>).
/// </summary>
public sealed class StreamTaskData : TaskData
{
    /// <summary>Creates the data.</summary>
    /// <param name="name">What the text is (a path or the built-in corpus's name).</param>
    /// <param name="train">Ids of the training text.</param>
    /// <param name="validation">Ids of the validation text (at least 2).</param>
    /// <param name="sequenceLength">Characters per stream per step, T.</param>
    /// <exception cref="ArgumentException">The validation text is shorter than 2 characters or T is not positive.</exception>
    public StreamTaskData(string name, int[] train, int[] validation, int sequenceLength)
        : base(name, Checked(validation, sequenceLength))
    {
        ArgumentNullException.ThrowIfNull(train);
        Train = train;
        ValidationIds = validation;
        SequenceLength = sequenceLength;
    }

    /// <summary>Ids of the training text.</summary>
    public int[] Train { get; }

    /// <summary>Ids of the validation text.</summary>
    public int[] ValidationIds { get; }

    /// <summary>Characters per stream per step, T.</summary>
    public int SequenceLength { get; }

    /// <inheritdoc/>
    public override long BatchesPerEpoch(int batch) => new StreamBatcher(Train, batch, SequenceLength, $"the training text of {Name}").ChunksPerEpoch;

    /// <summary>The chunk of step <paramref name="step"/> as one example per stream (without the carried state).</summary>
    public override IReadOnlyList<SequenceExample> TrainBatch(long step, int batch)
    {
        var batcher = new StreamBatcher(Train, batch, SequenceLength);
        int[] inputs = new int[batcher.CharactersPerChunk], targets = new int[batcher.CharactersPerChunk];
        batcher.Fill(step, inputs, targets);
        var examples = new SequenceExample[batch];
        for (var b = 0; b < batch; b++)
        {
            int[] x = new int[SequenceLength], y = new int[SequenceLength];
            for (var t = 0; t < SequenceLength; t++) (x[t], y[t]) = (inputs[t * batch + b], targets[t * batch + b]);
            examples[b] = new SequenceExample { Length = SequenceLength, Tokens = x, Targets = y };
        }
        return examples;
    }

    /// <inheritdoc/>
    public override BatchSource CreateSource(TaskModel model, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (model is not CharRnnModel charModel)
            throw new ArgumentException($"a text read as streams trains a character model, not {model?.GetType().Name ?? "null"}");
        if (options.SequenceLength != SequenceLength)
            throw new ArgumentException($"the data is cut into chunks of {SequenceLength} characters but the options say {options.SequenceLength}");
        return new Source(this, charModel, options);
    }

    private static IReadOnlyList<SequenceExample> Checked(int[] validation, int sequenceLength)
    {
        ArgumentNullException.ThrowIfNull(validation);
        if (validation.Length < 2) throw new ArgumentException($"the validation text needs at least 2 characters, got {validation.Length}");
        return TaskExamples.Windows(validation, sequenceLength);
    }

    /// <summary>The streams of one training run and the state carried between its chunks.</summary>
    private sealed class Source : BatchSource
    {
        private readonly StreamTaskData _data;
        private readonly CharRnnModel _model;
        private readonly TrainingOptions _options;
        private readonly StreamBatcher _batcher;
        private readonly RecurrentState _state;
        private readonly int[] _inputs;
        private readonly int[] _targets;

        public Source(StreamTaskData data, CharRnnModel model, TrainingOptions options)
        {
            _data = data;
            _model = model;
            _options = options;
            _batcher = new StreamBatcher(data.Train, options.Batch, options.SequenceLength);
            _state = model.CreateState(options.Batch);
            _inputs = new int[_batcher.CharactersPerChunk];
            _targets = new int[_batcher.CharactersPerChunk];
        }

        public override LossStats TrainStep(long step)
        {
            if (_batcher.StartsEpoch(step)) _state.Reset();
            _batcher.Fill(step, _inputs, _targets);
            return _model.TrainStep(_inputs, _targets, _options.SequenceLength, _state);
        }

        public override LossStats Validate() =>
            CharLmTask.EvaluateText(_model, _data.ValidationIds, _options.Batch, _options.SequenceLength, _options.EvalMaxCharacters);

        public override IReadOnlyList<KeyValuePair<string, HostTensor>> CaptureState()
        {
            var state = new List<KeyValuePair<string, HostTensor>> { new(CharLmTask.HiddenName, _state.Hidden.ToHost()) };
            if (_state.Cell is not null) state.Add(new(CharLmTask.CellName, _state.Cell.ToHost()));
            return state;
        }

        public override void RestoreState(IReadOnlyList<KeyValuePair<string, HostTensor>> saved)
        {
            ArgumentNullException.ThrowIfNull(saved);
            var byName = saved.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            if (!byName.TryGetValue(CharLmTask.HiddenName, out var hidden) || hidden.Shape != _state.Hidden.Shape)
                throw new InvalidDataException($"checkpoint: the carried hidden state is missing or not {_state.Hidden.Shape}");
            HostTensor? cell = null;
            if (_state.Cell is not null && (!byName.TryGetValue(CharLmTask.CellName, out cell) || cell.Shape != _state.Cell.Shape))
                throw new InvalidDataException($"checkpoint: the carried cell state is missing or not {_state.Cell.Shape}");
            _state.Hidden.CopyFrom(hidden.ConvertTo(_state.Hidden.DType));
            _state.Cell?.CopyFrom(cell!.ConvertTo(_state.Cell.DType));
        }

        public override void CheckResume(TrainingOptions saved, TrainingOptions current)
        {
            ArgumentNullException.ThrowIfNull(saved);
            ArgumentNullException.ThrowIfNull(current);
            if (saved.Batch != current.Batch || saved.SequenceLength != current.SequenceLength)
                throw new InvalidDataException($"the checkpoint was trained with batch {saved.Batch} and seq {saved.SequenceLength}, not {current.Batch} and {current.SequenceLength}");
        }

        public override void Dispose()
        {
            _state.Dispose();
            base.Dispose();
        }
    }
}
