namespace GpuRnn;

/// <summary>
/// Argument checks shared by every backend, so each boundary gives the same message naming the
/// expected and the actual value.
/// </summary>
internal static class TensorChecks
{
    /// <summary>Throws unless <paramref name="tensor"/> has exactly <paramref name="expected"/>.</summary>
    public static void Shape(Tensor tensor, Shape expected, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (tensor.Shape != expected)
            throw new ArgumentException($"{name} has shape {tensor.Shape} but {expected} was expected");
    }

    /// <summary>Throws unless the tensor is rank <paramref name="rank"/>.</summary>
    public static void Rank(Tensor tensor, int rank, string name, string layout)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (tensor.Shape.Rank != rank)
            throw new ArgumentException($"{name} has shape {tensor.Shape} but a rank-{rank} tensor {layout} was expected");
    }

    /// <summary>Throws unless the element counts match.</summary>
    public static void SameCount(Tensor a, Tensor b, string nameA, string nameB)
    {
        if (a.ElementCount != b.ElementCount)
            throw new ArgumentException($"{nameA} has {a.ElementCount} elements ({a.Shape}) but {nameB} has {b.ElementCount} ({b.Shape})");
    }

    /// <summary>Throws unless the tensor has <paramref name="dtype"/>.</summary>
    public static void DType(Tensor tensor, DType dtype, string name)
    {
        if (tensor.DType != dtype)
            throw new ArgumentException($"{name} is {tensor.DType.DisplayName()} but {dtype.DisplayName()} was expected");
    }

    /// <summary>Throws unless the tensor belongs to <paramref name="backend"/> and is alive.</summary>
    public static void Owned(Tensor tensor, IBackend backend, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (!ReferenceEquals(tensor.Backend, backend))
            throw new ArgumentException($"{name} lives on backend '{tensor.Backend.Name}' but this call runs on '{backend.Name}'");
        if (tensor.IsDisposed) throw new ObjectDisposedException(name, $"{name} has been disposed");
    }

    /// <summary>Throws unless every tensor given is owned by the backend, alive, and has the dtype of the first.</summary>
    public static DType Floats(IBackend backend, params ReadOnlySpan<(Tensor? Tensor, string Name)> tensors)
    {
        DType? dtype = null;
        string? first = null;
        foreach (var (t, name) in tensors)
        {
            if (t is null) continue;
            Owned(t, backend, name);
            if (!t.DType.IsFloatingPoint())
                throw new ArgumentException($"{name} is {t.DType.DisplayName()} but a floating-point tensor was expected");
            if (dtype is null) { dtype = t.DType; first = name; }
            else if (t.DType != dtype)
                throw new ArgumentException($"{name} is {t.DType.DisplayName()} but {first} is {dtype.Value.DisplayName()}; one call takes one dtype");
        }
        var result = dtype ?? throw new ArgumentException("no tensor was given");
        if (!backend.Supports(result))
            throw new ArgumentException($"backend '{backend.Name}' does not compute in {result.DisplayName()}");
        return result;
    }
}
