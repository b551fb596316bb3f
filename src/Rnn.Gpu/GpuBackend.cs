using GpuRnn.Gpu.Devices;
using GpuRnn.Gpu.Kernels;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace GpuRnn.Gpu;

/// <summary>
/// The ILGPU backend: float32 compute on CUDA, OpenCL or ILGPU's CPU accelerator, with every
/// tensor (parameters, gradients, optimizer state, activations, reserves) resident in the
/// accelerator's memory; only what the caller downloads comes back. Operations are grouped in
/// partial files by family; the kernels they launch live in <c>Kernels/</c>, one family per file,
/// named after their CPU twins. Public calls are serialised, so one instance may be shared by
/// several threads.
/// </summary>
public sealed partial class GpuBackend : BackendBase
{
    private readonly object _gate = new();
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly KernelCache _kernels;
    private readonly LaunchShapes _shapes;
    private readonly Scratch _scratch;
    private bool _disposed;

    /// <summary>
    /// Opens the first usable device of an ILGPU runtime.
    /// </summary>
    /// <param name="name"><c>cuda</c>, <c>opencl</c> or <c>ilgpu-cpu</c>.</param>
    /// <exception cref="BackendUnavailableException">The runtime has no usable device here; the message says why.</exception>
    public GpuBackend(string name) : this(name, 0) { }

    /// <summary>
    /// Opens the <paramref name="device"/>-th usable device of an ILGPU runtime, numbered as
    /// <c>gpurnn devices</c> numbers them (<c>ilgpu-cpu</c> has device 0 alone).
    /// </summary>
    /// <param name="name"><c>cuda</c>, <c>opencl</c> or <c>ilgpu-cpu</c>.</param>
    /// <param name="device">0 .. the runtime's usable devices - 1.</param>
    /// <exception cref="BackendUnavailableException">The runtime has no such usable device here; the message says why, or how many it has.</exception>
    public GpuBackend(string name, int device) : this(name, null, device) { }

    /// <summary>
    /// ILGPU's optimisation level for CUDA kernels: O1 (ILGPU's release default) unless
    /// GPURNN_ILGPU_OPTIMIZATION names O0, O1 or O2, so the levels can be compared on a GPU.
    /// </summary>
    private static OptimizationLevel CudaOptimization() =>
        Environment.GetEnvironmentVariable("GPURNN_ILGPU_OPTIMIZATION")?.Trim().ToUpperInvariant() switch
        {
            "O0" => OptimizationLevel.O0,
            "O2" => OptimizationLevel.O2,
            null or "" or "O1" => OptimizationLevel.O1,
            var other => throw new BackendUnavailableException($"GPURNN_ILGPU_OPTIMIZATION is '{other}' (expected O0, O1 or O2)"),
        };

    /// <summary>
    /// Opens a backend; for <c>ilgpu-cpu</c>, <paramref name="simulatedDevice"/> replaces the
    /// default NVIDIA-shaped CPU device (tests simulate several multiprocessors, so that groups
    /// run concurrently as they do on a GPU).
    /// </summary>
    internal GpuBackend(string name, CPUDevice? simulatedDevice, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        NativeLibraries.Register();
        if (name is not ("cuda" or "opencl" or "ilgpu-cpu"))
            throw new BackendUnavailableException($"unknown ILGPU backend '{name}' (expected cuda, opencl or ilgpu-cpu)");
        var runtime = GpuDevices.Runtime(name);
        var usable = runtime.Usable;
        if (usable.Count == 0) throw new BackendUnavailableException($"backend '{name}' is not available here: {runtime.Problem}");
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var device = usable[new BackendChoice(name, index).DeviceFor(usable.Count, null)];
        try
        {
            // The context registers the chosen device alone, so the accelerator's index 0 is that device.
            _context = name switch
            {
                "cuda" => Context.Create(b => b.Cuda(d => d.DeviceId == ((CudaDevice)device.Native!).DeviceId).EnableAlgorithms().Optimize(CudaOptimization())),
                "opencl" => Context.Create(b => b.OpenCL(d => d.DeviceId == ((CLDevice)device.Native!).DeviceId).EnableAlgorithms()),
                _ => Context.Create(b => b.CPU(simulatedDevice ?? CpuAccelerator.Device).EnableAlgorithms()),
            };
            _accelerator = name switch
            {
                "cuda" => _context.CreateCudaAccelerator(0),
                "opencl" => _context.CreateCLAccelerator(0),
                _ => _context.CreateCPUAccelerator(0),
            };
        }
        catch (Exception e) when (e is not BackendUnavailableException)
        {
            _context?.Dispose();
            throw new BackendUnavailableException($"backend '{name}' could not open {device.Name}: {e.Message}");
        }
        Name = name;
        Description = GpuBackendProvider.Describe(device);
        _kernels = new KernelCache(_accelerator);
        _shapes = new LaunchShapes(_accelerator);
        _scratch = new Scratch(_accelerator);
    }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <inheritdoc/>
    public override string Description { get; }

    /// <summary>The device's multiprocessors (compute units): how many groups a persistent launch runs at once.</summary>
    internal int Multiprocessors => _accelerator.NumMultiprocessors;

    /// <summary>
    /// Kernel launches made by the calling thread so far, on any ILGPU backend (tests count the
    /// launches of their own calls, which a shared backend's total would mix with other tests').
    /// </summary>
    internal static long LaunchesOnThisThread => _launchesOnThisThread;

    [ThreadStatic]
    private static long _launchesOnThisThread;

    /// <inheritdoc/>
    public override bool Supports(DType dtype) => dtype is DType.Float32 or DType.Int32;

    /// <inheritdoc/>
    public override Tensor Allocate(Shape shape, DType dtype)
    {
        if (!Supports(dtype))
            throw new ArgumentException($"backend '{Name}' holds float32 and int32 tensors, not {dtype.DisplayName()}");
        if (shape.ElementCount > int.MaxValue)
            throw new ArgumentException($"shape {shape} has {shape.ElementCount} elements; backend '{Name}' holds at most {int.MaxValue} per tensor");
        lock (_gate)
        {
            ThrowIfDisposed();
            // A zero-element tensor still gets one element so that its view is valid.
            var buffer = _accelerator.Allocate1D<float>(Math.Max(1, shape.ElementCount));
            buffer.MemSetToZero(_accelerator.DefaultStream);   // a whole buffer (offset 0): right on OpenCL too
            return new GpuTensor(this, shape, dtype, buffer);
        }
    }

    /// <inheritdoc/>
    protected override void UploadCore<T>(ReadOnlySpan<T> source, Tensor destination)
    {
        lock (_gate)
        {
            var dst = Own(destination, nameof(destination));
            CheckElementType<T>(dst, nameof(destination));
            if (source.Length == 0) return;
            if (typeof(T) == typeof(float)) dst.Floats.CopyFromCPU(_accelerator.DefaultStream, System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(source));
            else dst.Ints.CopyFromCPU(_accelerator.DefaultStream, System.Runtime.InteropServices.MemoryMarshal.Cast<T, int>(source));
        }
    }

    /// <inheritdoc/>
    protected override void DownloadCore<T>(Tensor source, Span<T> destination)
    {
        lock (_gate)
        {
            var src = Own(source, nameof(source));
            CheckElementType<T>(src, nameof(source));
            if (destination.Length == 0) return;
            _accelerator.DefaultStream.Synchronize();
            if (typeof(T) == typeof(float)) src.Floats.CopyToCPU(_accelerator.DefaultStream, System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(destination));
            else src.Ints.CopyToCPU(_accelerator.DefaultStream, System.Runtime.InteropServices.MemoryMarshal.Cast<T, int>(destination));
        }
    }

    /// <inheritdoc/>
    protected override void CopyCore(Tensor source, Tensor destination)
    {
        lock (_gate)
        {
            var src = Own(source, nameof(source));
            var dst = Own(destination, nameof(destination));
            CopyView(src.Floats, dst.Floats);
        }
    }

    /// <inheritdoc/>
    protected override void FillCore(Tensor tensor, double value)
    {
        lock (_gate)
        {
            var t = Own(tensor, nameof(tensor));
            if (t.Length == 0) return;
            if (t.DType == DType.Int32) Launch(Elementwise.FillInt, _shapes.Linear(t.Length), new FillArgs<int> { X = t.Ints, Value = checked((int)value), N = t.Length });
            else FillView(t.Floats, (float)value);
        }
    }

    /// <inheritdoc/>
    public override void Synchronize()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            _accelerator.Synchronize();
        }
    }

    /// <summary>Releases the accelerator; every tensor made by this backend becomes invalid.</summary>
    public override void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _scratch.Dispose();
            _accelerator.Dispose();
            _context.Dispose();
        }
    }

    /// <summary>
    /// Frees a device buffer under the backend's lock (tensors and reserves are disposed from any
    /// thread); after the backend is disposed its buffers are already gone with the accelerator.
    /// </summary>
    internal void Free(MemoryBuffer buffer)
    {
        lock (_gate)
        {
            if (!_disposed) buffer.Dispose();
        }
    }

    // ------------------------------------------------------------------ helpers for the partial files

    /// <summary>
    /// The tensor as a <see cref="GpuTensor"/>, after the check that this backend is still open.
    /// <see cref="BackendBase"/> has checked at the boundary that the tensor is this backend's and alive,
    /// so the launches only cast (<paramref name="name"/> names it in a failed assert).
    /// </summary>
    internal GpuTensor Own(Tensor? tensor, string name)
    {
        ThrowIfDisposed();
        System.Diagnostics.Debug.Assert(tensor is not null && ReferenceEquals(tensor.Backend, this), $"{name} was not checked at the boundary");
        return (GpuTensor)tensor!;
    }

    /// <summary><see cref="Own"/> for an optional tensor.</summary>
    internal GpuTensor? OwnOptional(Tensor? tensor, string name) => tensor is null ? null : Own(tensor, name);

    /// <summary>The float32 view of a float tensor checked by <see cref="TensorChecks.Floats"/>.</summary>
    internal ArrayView<float> F(Tensor tensor, string name) => Own(tensor, name).Floats;

    private void CheckElementType<T>(GpuTensor t, string name) where T : unmanaged
    {
        var wanted = typeof(T) == typeof(float) ? DType.Float32 : typeof(T) == typeof(int) ? DType.Int32 : (DType?)null;
        if (wanted is null)
            throw new ArgumentException($"backend '{Name}' holds float32 and int32 tensors; {typeof(T).Name} data cannot be copied");
        if (wanted != t.DType)
            throw new ArgumentException($"{name} is {t.DType.DisplayName()} but the host data is {wanted.Value.DisplayName()}");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    internal void CopyView(ArrayView<float> source, ArrayView<float> destination)
    {
        if (source.Length == 0) return;
        source.CopyTo(_accelerator.DefaultStream, destination);
    }

    /// <summary>Sets every element of <paramref name="view"/>; zero through <see cref="ZeroView(ArrayView{float})"/>.</summary>
    internal void FillView(ArrayView<float> view, float value)
    {
        if (view.Length == 0) return;
        if (value == 0 && !float.IsNegative(value)) ZeroView(view);
        else Launch(Elementwise.Fill, _shapes.Linear(view.Length), new FillArgs<float> { X = view, Value = value, N = (int)view.Length });
    }

    /// <summary>Zeroes a float view: see <see cref="ZeroView(ArrayView{int})"/>.</summary>
    private void ZeroView(ArrayView<float> view)
    {
        if (_accelerator.AcceleratorType != AcceleratorType.OpenCL) view.MemSetToZero(_accelerator.DefaultStream);
        else _kernels.Get<FillArgs<float>>(Elementwise.Fill)(_shapes.Linear(view.Length), new FillArgs<float> { X = view, Value = 0f, N = (int)view.Length });
    }

    /// <summary>
    /// Zeroes an int view: a memset, except on OpenCL, where ILGPU 1.5.3's MemSetToZero scales a
    /// sub-view's offset by the element size twice (kernels.md, "ILGPU on OpenCL") and the fill
    /// kernel stands in for it. That launch is not counted in <see cref="LaunchesOnThisThread"/>,
    /// as the memset it replaces is not, so every backend's launch count is the same.
    /// </summary>
    internal void ZeroView(ArrayView<int> view)
    {
        if (view.Length == 0) return;
        if (_accelerator.AcceleratorType != AcceleratorType.OpenCL) view.MemSetToZero(_accelerator.DefaultStream);
        else _kernels.Get<FillArgs<int>>(Elementwise.FillInt)(_shapes.Linear(view.Length), new FillArgs<int> { X = view, Value = 0, N = (int)view.Length });
    }

    /// <summary>
    /// Launches <paramref name="kernel"/> (a <see cref="KernelAttribute"/> method) with its one argument struct, counted
    /// in <see cref="LaunchesOnThisThread"/>; the kernel is compiled on its first launch. Takes the backend's lock
    /// (re-entrant: the operations call it holding it already), so a kernel from outside, as the tests' probes are,
    /// is launched the same way.
    /// </summary>
    internal void Launch<TArgs>(Action<TArgs> kernel, KernelConfig config, TArgs args) where TArgs : struct
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            _launchesOnThisThread++;
            _kernels.Get(kernel)(config, args);
        }
    }
}
