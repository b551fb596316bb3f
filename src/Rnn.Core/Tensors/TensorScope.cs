using System.Diagnostics.CodeAnalysis;

namespace GpuRnn;

/// <summary>
/// Owns the temporaries of a forward or backward pass (tensors, reserves, anything disposable) and
/// frees them together, last made first, when it is disposed, so a pass that fails half-way leaks
/// nothing and a pass that succeeds needs no chain of <c>Dispose()</c> calls. What the pass returns
/// is taken out of the scope with <see cref="Keep{T}"/>; what it no longer needs early is freed
/// with <see cref="Free"/>.
/// </summary>
/// <example>
/// <code>
/// using var scope = new TensorScope();
/// var h = scope.Allocate(backend, new Shape(n, hidden), dtype);
/// var y = scope.Allocate(backend, new Shape(n, outputs), dtype);
/// ...
/// return scope.Keep(y);   // h is freed with the scope, y belongs to the caller
/// </code>
/// </example>
public sealed class TensorScope : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private bool _disposed;

    /// <summary>How many things the scope owns now.</summary>
    public int Count => _owned.Count;

    /// <summary>Takes ownership of <paramref name="item"/> (null passes through) and returns it.</summary>
    [return: NotNullIfNotNull(nameof(item))]
    public T? Own<T>(T? item) where T : class, IDisposable
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (item is not null) _owned.Add(item);
        return item;
    }

    /// <summary>A new tensor on <paramref name="backend"/>, owned by the scope.</summary>
    public Tensor Allocate(IBackend backend, Shape shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return Own(backend.Allocate(shape, dtype));
    }

    /// <summary>Gives <paramref name="item"/> (null passes through) to the caller: the scope no longer frees it.</summary>
    /// <exception cref="InvalidOperationException">The scope does not own it.</exception>
    [return: NotNullIfNotNull(nameof(item))]
    public T? Keep<T>(T? item) where T : class, IDisposable
    {
        if (item is null) return null;
        if (!Remove(item)) throw new InvalidOperationException($"the scope does not own this {item.GetType().Name}");
        return item;
    }

    /// <summary>Frees <paramref name="item"/> now (null is ignored); it must be the scope's.</summary>
    /// <exception cref="InvalidOperationException">The scope does not own it.</exception>
    public void Free(IDisposable? item)
    {
        if (item is null) return;
        if (!Remove(item)) throw new InvalidOperationException($"the scope does not own this {item.GetType().Name}");
        item.Dispose();
    }

    /// <summary>Frees everything the scope still owns, last made first; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (var i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
    }

    // From the end: what is kept or freed early is usually the latest.
    private bool Remove(IDisposable item)
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            if (!ReferenceEquals(_owned[i], item)) continue;
            _owned.RemoveAt(i);
            return true;
        }
        return false;
    }
}
