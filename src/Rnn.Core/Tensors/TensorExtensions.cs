namespace GpuRnn;

/// <summary>Moving tensors between host memory and a backend's device.</summary>
public static class TensorExtensions
{
    /// <summary>Allocates a tensor on <paramref name="backend"/> and copies <paramref name="host"/> into it.</summary>
    public static Tensor ToDevice(this HostTensor host, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(backend);
        if (!backend.Supports(host.DType))
            throw new ArgumentException($"backend '{backend.Name}' does not hold {host.DType.DisplayName()} tensors");
        var t = backend.Allocate(host.Shape, host.DType);
        try { t.CopyFrom(host); }
        catch { t.Dispose(); throw; }
        return t;
    }

    /// <summary>Uploads a float32 array as a new tensor of <paramref name="shape"/>.</summary>
    public static Tensor ToDevice(this float[] data, IBackend backend, Shape shape) => HostTensor.FromArray(data, shape).ToDevice(backend);

    /// <summary>Uploads a float64 array as a new tensor of <paramref name="shape"/>.</summary>
    public static Tensor ToDevice(this double[] data, IBackend backend, Shape shape) => HostTensor.FromArray(data, shape).ToDevice(backend);

    /// <summary>Uploads an int32 array as a new tensor of <paramref name="shape"/>.</summary>
    public static Tensor ToDevice(this int[] data, IBackend backend, Shape shape) => HostTensor.FromArray(data, shape).ToDevice(backend);

    /// <summary>Copies <paramref name="host"/> into the tensor; shapes must match and dtypes must be equal.</summary>
    public static void CopyFrom(this Tensor tensor, HostTensor host)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(host);
        if (host.Shape != tensor.Shape)
            throw new ArgumentException($"host data has shape {host.Shape} but the tensor has {tensor.Shape}");
        if (host.DType != tensor.DType)
            throw new ArgumentException($"host data is {host.DType.DisplayName()} but the tensor is {tensor.DType.DisplayName()}");
        switch (host.Data)
        {
            case float[] f: tensor.Backend.Upload<float>(f, tensor); break;
            case double[] d: tensor.Backend.Upload<double>(d, tensor); break;
            case int[] i: tensor.Backend.Upload<int>(i, tensor); break;
        }
    }

    /// <summary>Copies float64 values into a float tensor of either precision (rounding for float32).</summary>
    public static void Upload(Tensor tensor, double[] values)
    {
        if (values.LongLength != tensor.ElementCount)
            throw new ArgumentException($"{values.LongLength} values given for a tensor of {tensor.ElementCount} elements ({tensor.Shape})");
        switch (tensor.DType)
        {
            case DType.Float64: tensor.Backend.Upload<double>(values, tensor); break;
            case DType.Float32: tensor.Backend.Upload<float>(Array.ConvertAll(values, v => (float)v), tensor); break;
            default: throw new ArgumentException($"tensor is {tensor.DType.DisplayName()}, not a float tensor");
        }
    }

    /// <summary>Downloads the tensor into a new host tensor of the same shape and dtype (synchronizes).</summary>
    public static HostTensor ToHost(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var host = HostTensor.Zeros(tensor.Shape, tensor.DType);
        switch (host.Data)
        {
            case float[] f: tensor.Backend.Download<float>(tensor, f); break;
            case double[] d: tensor.Backend.Download<double>(tensor, d); break;
            case int[] i: tensor.Backend.Download<int>(tensor, i); break;
        }
        return host;
    }

    /// <summary>Downloads the tensor's values widened to float64 (synchronizes).</summary>
    public static double[] ToFloat64Array(this Tensor tensor) => tensor.ToHost().ToFloat64Array();
}
