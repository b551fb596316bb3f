namespace GpuRnn.Data;

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
    /// <remarks>With several ranks, rank r reads streams [r * B / N, (r + 1) * B / N) and carries their state;
    /// a checkpoint holds every rank's, gathered into the one-process [L, B, H].</remarks>
    public override BatchSource CreateSource(TaskModel model, TrainingOptions options, ICommunicator? communicator = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (model is not CharRnnModel charModel)
            throw new ArgumentException($"a text read as streams trains a character model, not {model?.GetType().Name ?? "null"}");
        if (options.SequenceLength != SequenceLength)
            throw new ArgumentException($"the data is cut into chunks of {SequenceLength} characters but the options say {options.SequenceLength}");
        return new Source(this, charModel, options, new DataParallel(communicator ?? SingleProcessCommunicator.Instance));
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
        private readonly DataParallel _parallel;
        private readonly StreamBatcher _batcher;
        private readonly RecurrentState _state;
        private readonly int _first;
        private readonly int[] _inputs, _targets;       // the chunk of every stream [T, B]
        private readonly int[] _myInputs, _myTargets;   // this rank's streams [T, B / N]

        public Source(StreamTaskData data, CharRnnModel model, TrainingOptions options, DataParallel parallel)
        {
            _data = data;
            _model = model;
            _options = options;
            _parallel = parallel;
            _batcher = new StreamBatcher(data.Train, options.Batch, options.SequenceLength);
            (_first, var count) = DataParallel.Share(options.Batch, parallel.Communicator);
            _state = model.CreateState(count);
            _inputs = new int[_batcher.CharactersPerChunk];
            _targets = new int[_batcher.CharactersPerChunk];
            (_myInputs, _myTargets) = count == options.Batch ? (_inputs, _targets) : (new int[count * options.SequenceLength], new int[count * options.SequenceLength]);
        }

        public override LossStats TrainStep(long step)
        {
            if (_batcher.StartsEpoch(step)) _state.Reset();
            _batcher.Fill(step, _inputs, _targets);
            if (_myInputs != _inputs)
            {
                int batch = _options.Batch, mine = _state.Batch;
                for (var t = 0; t < _options.SequenceLength; t++)
                {
                    Array.Copy(_inputs, t * batch + _first, _myInputs, t * mine, mine);
                    Array.Copy(_targets, t * batch + _first, _myTargets, t * mine, mine);
                }
            }
            return _model.TrainStep(_myInputs, _myTargets, _options.SequenceLength, _state);
        }

        public override LossStats Validate() =>
            CharLmTask.EvaluateText(_model, _data.ValidationIds, _options.Batch, _options.SequenceLength, _options.EvalMaxCharacters, _parallel.Communicator);

        // Every rank's streams together, [L, B, H], as one process carries them.
        public override IReadOnlyList<KeyValuePair<string, HostTensor>> CaptureState()
        {
            var state = new List<KeyValuePair<string, HostTensor>> { new(CharLmTask.HiddenName, _parallel.GatherBatch(_state.Hidden.ToHost())) };
            if (_state.Cell is not null) state.Add(new(CharLmTask.CellName, _parallel.GatherBatch(_state.Cell.ToHost())));
            return state;
        }

        public override void RestoreState(IReadOnlyList<KeyValuePair<string, HostTensor>> saved)
        {
            ArgumentNullException.ThrowIfNull(saved);
            var byName = saved.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            var hiddenShape = Global(_state.Hidden.Shape);
            if (!byName.TryGetValue(CharLmTask.HiddenName, out var hidden) || hidden.Shape != hiddenShape)
                throw new InvalidDataException($"checkpoint: the carried hidden state is missing or not {hiddenShape}");
            HostTensor? cell = null;
            if (_state.Cell is not null && (!byName.TryGetValue(CharLmTask.CellName, out cell) || cell.Shape != Global(_state.Cell.Shape)))
                throw new InvalidDataException($"checkpoint: the carried cell state is missing or not {Global(_state.Cell.Shape)}");
            hidden = FiniteCheck.Converted(hidden, _state.Hidden.DType, $"'{CharLmTask.HiddenName}'", "checkpoint");
            if (_state.Cell is not null) cell = FiniteCheck.Converted(cell!, _state.Cell.DType, $"'{CharLmTask.CellName}'", "checkpoint");
            _state.Hidden.CopyFrom(_parallel.ShareOfBatch(hidden));
            _state.Cell?.CopyFrom(_parallel.ShareOfBatch(cell!));
        }

        private Shape Global(Shape mine) => new(mine[0], _options.Batch, mine[2]);

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
