using GpuRnn.Cpu;
using Xunit;

namespace GpuRnn.Tests.Nn;

/// <summary>The scope that owns a pass's temporaries.</summary>
public class TensorScopeTests
{
    private static readonly CpuBackend Cpu = new();

    private sealed class Recorder(List<int> log, int id) : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose()
        {
            Disposals++;
            log.Add(id);
        }
    }

    [Fact]
    public void DisposingFreesWhatIsOwnedOnceLastMadeFirstAndLeavesWhatWasKept()
    {
        var rng = TestRandom.Create();
        var log = new List<int>();
        var n = rng.Next(3, 9);
        var items = Enumerable.Range(0, n).Select(i => new Recorder(log, i)).ToArray();
        var kept = rng.Next(n);
        var scope = new TensorScope();
        foreach (var item in items) Assert.Same(item, scope.Own(item));
        Assert.Same(items[kept], scope.Keep(items[kept]));
        Assert.Equal(n - 1, scope.Count);
        scope.Dispose();
        scope.Dispose();
        Assert.Equal(Enumerable.Range(0, n).Reverse().Where(i => i != kept), log);
        Assert.All(items, item => Assert.Equal(item == items[kept] ? 0 : 1, item.Disposals));
    }

    [Fact]
    public void TensorsAllocatedInAScopeAreFreedWithItUnlessKept()
    {
        var rng = TestRandom.Create();
        Tensor a, b, c;
        using (var scope = new TensorScope())
        {
            a = scope.Allocate(Cpu, new Shape(rng.Next(1, 5), 2), DType.Float32);
            b = scope.Allocate(Cpu, new Shape(3), DType.Float64);
            c = scope.Keep(scope.Own(HostTensor.FromArray(TestRandom.Uniform(rng, 4), new Shape(4)).ToDevice(Cpu)));
            Assert.Null(scope.Own<Tensor>(null));
            Assert.Null(scope.Keep<Tensor>(null));
        }
        Assert.True(a.IsDisposed);
        Assert.True(b.IsDisposed);
        Assert.False(c.IsDisposed);
        c.Dispose();
    }

    [Fact]
    public void FreeingEarlyDisposesAtOnceAndNotAgain()
    {
        var log = new List<int>();
        var first = new Recorder(log, 1);
        var second = new Recorder(log, 2);
        using (var scope = new TensorScope())
        {
            scope.Own(first);
            scope.Own(second);
            scope.Free(first);
            Assert.Equal([1], log);
            scope.Free(null);
        }
        Assert.Equal([1, 2], log);
        Assert.Equal(1, first.Disposals);
    }

    [Fact]
    public void KeepingOrFreeingWhatTheScopeDoesNotOwnIsRefused()
    {
        using var scope = new TensorScope();
        var stranger = new Recorder([], 0);
        Assert.Contains("does not own this Recorder", Assert.Throws<InvalidOperationException>(() => scope.Keep(stranger)).Message);
        Assert.Contains("does not own this Recorder", Assert.Throws<InvalidOperationException>(() => scope.Free(stranger)).Message);
        Assert.Equal(0, stranger.Disposals);
        scope.Dispose();
        Assert.Throws<ObjectDisposedException>(() => scope.Own(stranger));
    }
}
