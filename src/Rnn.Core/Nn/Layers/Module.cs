namespace GpuRnn.Nn;

/// <summary>
/// The base of every layer and model, as torch.nn.Module: a module owns named parameters and
/// named child modules, and the name of every parameter is its path in that tree
/// (<c>embedding.weight</c>, <c>rnn.weight_ih_l0</c>, <c>decoder.bias</c>), which is the key it
/// has in <see cref="StateDict"/>, in checkpoints and in the optimizer's state. Zeroing the
/// gradients, saving and loading the state and disposing work on the whole tree.
/// </summary>
/// <remarks>
/// Parameters come in registration order, a module's own before its children's, children in the
/// order they were registered (PyTorch's <c>named_parameters</c> order). A child registered with
/// an empty name adds nothing to the path: its parameters are named as its parent's own, which is
/// how a model that delegates to a helper module keeps flat names. The root's own
/// <see cref="Name"/> (empty unless given) starts every path. Forward passes return their outputs
/// (as <see cref="RnnStack.Forward"/> does), which the caller disposes.
/// </remarks>
public abstract class Module : IDisposable
{
    private readonly List<KeyValuePair<string, Module>> _children = [];
    private readonly List<Parameter> _parameters = [];

    /// <summary>Creates a module named <paramref name="name"/> (empty: named by the parent that registers it).</summary>
    protected Module(string name = "")
    {
        CheckName(name, "module");
        Name = name;
    }

    /// <summary>The module's name in its parent, or the root's own prefix; empty adds nothing to the path.</summary>
    public string Name { get; private set; }

    /// <summary>The module that registered this one, or null for a root.</summary>
    public Module? Parent { get; private set; }

    /// <summary>The module's path from the root, dotted (empty for an unnamed root).</summary>
    public string Path => Parent is null ? Name : Join(Parent.Path, Name);

    /// <summary>The child modules by name, in registration order.</summary>
    public IReadOnlyList<KeyValuePair<string, Module>> Children => _children;

    /// <summary>True once <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>
    /// Every parameter of the tree below this module with its gradient, each named by its full
    /// path from the root, in state_dict order.
    /// </summary>
    public IReadOnlyList<Parameter> Parameters
    {
        get
        {
            var result = new List<Parameter>();
            Collect(Path, result);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in result)
                if (!seen.Add(p.Name)) throw new InvalidOperationException($"two parameters of the module tree are named '{p.Name}'");
            return result;
        }
    }

    /// <summary>Words naming the module in messages, e.g. <c>a Linear</c>; models say what they are.</summary>
    protected virtual string Description => $"a {GetType().Name}";

    /// <summary>
    /// Makes <paramref name="module"/> a child under <paramref name="name"/> (empty: its parameters
    /// are named as this module's own) and returns it. A module has one parent; one made with a name
    /// is registered under that name.
    /// </summary>
    /// <exception cref="ArgumentException">The name is taken, has a dot, or differs from the module's own; or the module already has a parent.</exception>
    public T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name, "module");
        if (ReferenceEquals(module, this)) throw new ArgumentException("a module cannot be its own child");
        if (module.Parent is not null)
            throw new ArgumentException($"the module is already registered as '{module.Path}'; a module has one parent");
        if (module.Name.Length > 0 && module.Name != name)
            throw new ArgumentException($"the module is named '{module.Name}' and cannot be registered as '{name}'");
        CheckFree(name);
        module.Name = name;
        module.Parent = this;
        _children.Add(new(name, module));
        return module;
    }

    /// <summary>Sets every gradient of the tree to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.Gradient.Backend.Fill(p.Gradient, 0);
        foreach (var (_, child) in _children) child.ZeroGrad();
    }

    /// <summary>Every parameter as a host tensor under its full name, in state_dict order.</summary>
    public IReadOnlyList<KeyValuePair<string, HostTensor>> StateDict() =>
        Parameters.Select(p => new KeyValuePair<string, HostTensor>(p.Name, p.Value.ToHost())).ToList();

    /// <summary>
    /// Copies parameters from a dictionary keyed by the full names of <see cref="Parameters"/>, as
    /// PyTorch's <c>load_state_dict</c>: strict by default (every parameter present and no other
    /// name); with <paramref name="strict"/> false, missing and unexpected names are returned instead.
    /// A present tensor must have the parameter's shape and a float dtype either way; float64 values
    /// load into float32 parameters by rounding. Nothing is copied unless every check passes.
    /// </summary>
    /// <param name="stateDict">Host tensors by name.</param>
    /// <param name="strict">Whether a missing or an unexpected name is an error.</param>
    /// <param name="source">Names the origin (a file's path) in messages.</param>
    /// <returns>The parameter names that were not in the dictionary and the dictionary's names that are no parameter (both empty when strict).</returns>
    /// <exception cref="InvalidDataException">A tensor is missing (strict), unexpected (strict), misshapen or not a float tensor; the message names it and the shapes. (The one error type of every module: the dictionary comes from a file or from the caller's data, and the CLI reports it as bad input, exit code 3.)</exception>
    public StateDictLoadResult LoadStateDict(IReadOnlyDictionary<string, HostTensor> stateDict, bool strict = true, string source = "state_dict")
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(source);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var parameters = Parameters;
        var missing = new List<string>();
        var values = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            if (!stateDict.TryGetValue(p.Name, out var value))
            {
                if (strict) throw new InvalidDataException($"{source}: tensor '{p.Name}' is missing (expected shape {p.Value.Shape})");
                missing.Add(p.Name);
                continue;
            }
            if (value.Shape != p.Value.Shape)
                throw new InvalidDataException($"{source}: tensor '{p.Name}' has shape {value.Shape} but the model expects {p.Value.Shape}");
            if (!value.DType.IsFloatingPoint())
                throw new InvalidDataException($"{source}: tensor '{p.Name}' is {value.DType.DisplayName()} but a float tensor was expected");
            // Converted before any parameter is written, so a refused file leaves the model as it was.
            values[p.Name] = FiniteCheck.Converted(value, p.Value.DType, $"'{p.Name}'", source);
        }
        var known = parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var unexpected = stateDict.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (strict && unexpected.Count > 0)
        {
            var first = unexpected[0];
            throw new InvalidDataException($"{source}: unexpected tensor '{first}' {stateDict[first].Shape}: {Description} has no parameter of that name" +
                (unexpected.Count > 1 ? $" (and {unexpected.Count - 1} more)" : ""));
        }
        foreach (var p in parameters)
            if (values.TryGetValue(p.Name, out var value)) p.Value.CopyFrom(value);
        return new StateDictLoadResult(missing, unexpected);
    }

    /// <summary>Frees the module's own buffers (<see cref="DisposeCore"/>), then every child, then the parameters and gradients.</summary>
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        DisposeCore();
        foreach (var (_, child) in _children) child.Dispose();
        foreach (var p in _parameters)
        {
            p.Value.Dispose();
            p.Gradient.Dispose();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Registers a parameter the module owns (and frees on dispose) under <paramref name="name"/>
    /// and returns it under its local name; <see cref="Qualified"/> gives its full name.
    /// </summary>
    protected Parameter RegisterParameter(string name, Tensor value, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(gradient);
        CheckName(name, "parameter");
        if (name.Length == 0) throw new ArgumentException("a parameter needs a name");
        if (gradient.Shape != value.Shape) throw new ArgumentException($"parameter '{name}' has shape {value.Shape} but its gradient {gradient.Shape}");
        CheckFree(name);
        var parameter = new Parameter(name, value, gradient);
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary><paramref name="local"/>, one of this module's parameters, under its full name in the tree.</summary>
    protected Parameter Qualified(Parameter local)
    {
        ArgumentNullException.ThrowIfNull(local);
        return local with { Name = Join(Path, local.Name) };
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the module is disposed.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>Frees what the module holds besides parameters and children (buffers, pending training state); runs once, first.</summary>
    protected virtual void DisposeCore()
    {
    }

    private void Collect(string prefix, List<Parameter> into)
    {
        foreach (var p in _parameters) into.Add(p with { Name = Join(prefix, p.Name) });
        foreach (var (name, child) in _children) child.Collect(Join(prefix, name), into);
    }

    private void CheckFree(string name)
    {
        if (name.Length == 0) return;
        if (_parameters.Any(p => p.Name == name) || _children.Any(c => c.Key == name))
            throw new ArgumentException($"{Description} already has a parameter or module named '{name}'");
    }

    private static void CheckName(string name, string what)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains('.', StringComparison.Ordinal))
            throw new ArgumentException($"a {what} name cannot contain '.', got '{name}' (the dots are the tree's)");
    }

    private static string Join(string prefix, string name) =>
        prefix.Length == 0 ? name : name.Length == 0 ? prefix : prefix + "." + name;
}

/// <summary>What a non-strict <see cref="Module.LoadStateDict"/> left out.</summary>
/// <param name="MissingKeys">Parameters the dictionary had no tensor for (they keep their values).</param>
/// <param name="UnexpectedKeys">Names of the dictionary that are no parameter of the module (ignored), sorted.</param>
public sealed record StateDictLoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
