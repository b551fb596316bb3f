using System.Runtime.CompilerServices;
using GpuRnn.Cpu.Kernels;

namespace GpuRnn.Cpu.Rnn;

/// <summary>
/// The tensors one direction's weights were read from (W_ih, W_hh, biases, W_hr, peepholes; absent
/// ones null) and their <see cref="CpuTensor.Version"/>s at the time, taken before anything is
/// computed from them.
/// </summary>
internal sealed class WeightSnapshot
{
    private readonly CpuTensor?[] _tensors;
    private readonly long[] _versions;

    /// <param name="tensors">The source tensors, W_ih first (always present).</param>
    public WeightSnapshot(CpuTensor?[] tensors)
    {
        _tensors = tensors;
        _versions = [.. tensors.Select(t => t?.Version ?? 0)];
    }

    /// <summary>W_ih's tensor: what a cached result is filed under.</summary>
    public CpuTensor Key => _tensors[0] ?? throw new InvalidOperationException("a weight snapshot needs W_ih");

    /// <summary>Whether <paramref name="other"/> is the same tensors, none disposed, with no write to any since this one.</summary>
    public bool Matches(WeightSnapshot other)
    {
        if (_tensors.Length != other._tensors.Length) return false;
        for (var i = 0; i < _tensors.Length; i++)
        {
            if (!ReferenceEquals(_tensors[i], other._tensors[i]) || _versions[i] != other._versions[i]) return false;
            if (_tensors[i] is { IsDisposed: true }) return false;
        }
        return true;
    }
}

/// <summary>
/// The fused forward's packed weights (<see cref="GatePanels"/>) kept from one inference call to the
/// next while the weights do not change: sampling runs a forward of one step per character, and
/// packing a layer's weights (megabytes) took a hundred times longer than the step itself. A cached
/// copy is used only when every source tensor is the same object at the same version; a write to
/// any of them (an optimizer step, a load, an upload, through any view) moves its version on, and
/// the next call packs again. Entries live as long as W_ih's tensor object does.
/// </summary>
internal sealed class PackedWeightCache
{
    private readonly ConditionalWeakTable<CpuTensor, Entry> _entries = new();

    /// <summary>
    /// Panels packed from the weights of <paramref name="snapshot"/>: the cached ones when they still
    /// match, else packed anew by <paramref name="pack"/> (into the old arrays when no call is reading
    /// them). Dispose the lease when the call no longer reads the panels.
    /// </summary>
    public Lease Acquire(WeightSnapshot snapshot, PanelGeometry geometry, Action<GatePanels> pack)
    {
        var entry = _entries.GetValue(snapshot.Key, _ => new Entry());
        lock (entry)
        {
            if (entry.Panels is null || entry.Geometry != geometry || entry.Snapshot is null || !entry.Snapshot.Matches(snapshot))
            {
                var panels = entry.Readers == 0 && entry.Panels is not null && entry.Geometry == geometry ? entry.Panels : geometry.Allocate();
                entry.Snapshot = null; // not valid while being packed (if packing throws, it stays so)
                pack(panels);
                // Any readers hold the old panels, which nothing reuses now: they are no longer counted.
                (entry.Panels, entry.Geometry, entry.Snapshot, entry.Readers) = (panels, geometry, snapshot, 0);
                entry.Generation++;
            }
            entry.Readers++;
            return new Lease(entry, entry.Panels, entry.Generation);
        }
    }

    /// <summary>The shape of a direction's panels.</summary>
    public readonly record struct PanelGeometry(int Lanes, int Gates, int Hidden, int InputSize, int StateSize, int VectorSlots)
    {
        /// <summary>New panels of this shape: from <paramref name="pool"/> for one call, or (null) in arrays of their own for a cached copy.</summary>
        public GatePanels Allocate(BufferPool? pool = null) => new(pool, Lanes, Gates, Hidden, InputSize, StateSize, VectorSlots);
    }

    /// <summary>A call's hold on cached panels.</summary>
    public readonly struct Lease(Entry entry, GatePanels panels, long generation) : IDisposable
    {
        public GatePanels Panels => panels;

        public void Dispose()
        {
            lock (entry)
            {
                // Readers of panels that were replaced meanwhile are no longer counted.
                if (entry.Generation == generation && entry.Readers > 0) entry.Readers--;
            }
        }
    }

    /// <summary>One W_ih tensor's cached panels and how many calls are reading them.</summary>
    internal sealed class Entry
    {
        public GatePanels? Panels;
        public PanelGeometry Geometry;
        public WeightSnapshot? Snapshot;
        public int Readers;
        public long Generation;
    }
}
