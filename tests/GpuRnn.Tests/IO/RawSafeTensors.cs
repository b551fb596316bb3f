using System.Text;

namespace GpuRnn.Tests.IO;

/// <summary>Builds safetensors bytes by hand, including malformed ones the writer would never produce.</summary>
public static class RawSafeTensors
{
    /// <summary>An 8-byte length prefix giving <paramref name="declaredHeaderLength"/>, the header text, then <paramref name="data"/>.</summary>
    public static byte[] Build(ulong declaredHeaderLength, string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), declaredHeaderLength);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    /// <summary>A well-framed file (true header length) with the given header text and <paramref name="dataBytes"/> random bytes of data.</summary>
    public static byte[] Build(string header, int dataBytes, Random rng)
    {
        var data = new byte[dataBytes];
        rng.NextBytes(data);
        return Build((ulong)Encoding.UTF8.GetByteCount(header), header, data);
    }

    /// <summary>Writes the bytes to <paramref name="path"/> and returns the path.</summary>
    public static string WriteTo(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
