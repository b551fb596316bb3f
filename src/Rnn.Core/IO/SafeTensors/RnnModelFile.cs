namespace GpuRnn.IO;

/// <summary>
/// Loads and saves recurrent stacks as safetensors files with PyTorch's parameter names, so a
/// <c>state_dict</c> of torch.nn.RNN/LSTM/GRU saved with safetensors loads as is, and a saved
/// stack loads in PyTorch. Saved files carry the full spec as metadata (<see cref="RnnMetadata"/>).
/// </summary>
public static class RnnModelFile
{
    /// <summary>
    /// Reads a model file and creates the stack it describes on <paramref name="backend"/>, in the
    /// file's dtype (F32 or F64; a file mixing them is refused).
    /// </summary>
    /// <param name="path">The safetensors file: recurrent-layer parameters only, PyTorch names.</param>
    /// <param name="backend">Where the stack's parameters will live.</param>
    /// <param name="hints">What the tensors cannot tell (rnn_tanh versus rnn_relu, GRU variant), when the metadata does not say.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, or its tensors do not make one consistent model.</exception>
    public static RnnStack Load(string path, IBackend backend, RnnSpecHints? hints = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var file = SafeTensors.Read(path);
        return FromTensors(file.Tensors, file.Metadata, backend, hints, path);
    }

    /// <summary>
    /// Creates a stack from named host tensors (a state_dict) and metadata: the spec is inferred
    /// with <see cref="StateDictSpec.Infer"/> and the dtype is the tensors' (all F32 or all F64).
    /// </summary>
    /// <param name="stateDict">Parameters by PyTorch name; nothing else.</param>
    /// <param name="metadata">Metadata strings, or null.</param>
    /// <param name="backend">Where the stack's parameters will live.</param>
    /// <param name="hints">What the tensors cannot tell, or null.</param>
    /// <param name="source">Names the origin in messages.</param>
    public static RnnStack FromTensors(IReadOnlyDictionary<string, HostTensor> stateDict, IReadOnlyDictionary<string, string>? metadata,
        IBackend backend, RnnSpecHints? hints = null, string source = "state_dict")
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(backend);
        var (spec, dtype) = Describe(stateDict, metadata, hints, source);
        if (!backend.Supports(dtype))
            throw new InvalidDataException($"{source}: the model is {dtype.DisplayName()} but backend '{backend.Name}' does not compute in {dtype.DisplayName()} (use the cpu backend, or a float32 copy of the file)");
        var stack = new RnnStack(backend, spec, dtype);
        try
        {
            stack.LoadStateDict(stateDict);
        }
        catch
        {
            stack.Dispose();
            throw;
        }
        return stack;
    }

    /// <summary>
    /// The spec and dtype that named host tensors and metadata describe, without creating a stack:
    /// what <see cref="FromTensors"/> would build. Throws <see cref="InvalidDataException"/> as it does.
    /// </summary>
    public static (RnnSpec Spec, DType DType) Describe(IReadOnlyDictionary<string, HostTensor> stateDict,
        IReadOnlyDictionary<string, string>? metadata, RnnSpecHints? hints = null, string source = "state_dict")
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var spec = StateDictSpec.Infer(stateDict.Select(kv => new KeyValuePair<string, Shape>(kv.Key, kv.Value.Shape)), metadata, hints, source);
        return (spec, CommonDType(stateDict, source));
    }

    /// <summary>
    /// Writes the stack's parameters (PyTorch names, state_dict order, the stack's dtype) and its
    /// spec as metadata, atomically. <paramref name="extraMetadata"/> is added beside the spec's keys
    /// and may not redefine them.
    /// </summary>
    public static void Save(string path, RnnStack stack, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var metadata = RnnMetadata.From(stack.Spec);
        if (extraMetadata is not null)
        {
            foreach (var (key, value) in extraMetadata)
            {
                if (RnnMetadata.Keys.Contains(key))
                    throw new ArgumentException($"metadata '{key}' describes the model's spec and is written from it; it cannot be given as extra metadata");
                metadata[key] = value;
            }
        }
        SafeTensors.Write(path, stack.StateDict(), metadata);
    }

    /// <summary>The one float dtype of every tensor; mixed or non-float tensors are refused.</summary>
    private static DType CommonDType(IReadOnlyDictionary<string, HostTensor> stateDict, string source)
    {
        DType? dtype = null;
        string? first = null;
        foreach (var (name, tensor) in stateDict)
        {
            if (!tensor.DType.IsFloatingPoint())
                throw new InvalidDataException($"{source}: tensor '{name}' is {tensor.DType.DisplayName()}, but weights must be F32 or F64");
            if (dtype is null) { dtype = tensor.DType; first = name; }
            else if (tensor.DType != dtype)
                throw new InvalidDataException($"{source}: tensor '{name}' is {tensor.DType.DisplayName()} but '{first}' is {dtype.Value.DisplayName()}; a model file holds one dtype");
        }
        return dtype ?? throw new InvalidDataException($"{source}: holds no tensors");
    }
}
