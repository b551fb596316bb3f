using System.Runtime.InteropServices;

namespace GpuRnn.IO;

/// <summary>
/// Opens the files a user gives as input (models, checkpoints, data, inputs) for reading, and
/// refuses at once anything that is not a regular file: a directory, a FIFO (whose open would
/// block until a writer comes), a device (which may never end), a socket, or a special file that
/// claims to be empty but is not (such as those under /proc). Every reader of GpuRnn opens its
/// files here, so none of them can hang on a wrong path.
/// </summary>
internal static partial class InputFile
{
    /// <summary>
    /// Opens <paramref name="path"/> for reading after checking that it is a regular file.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="label">How messages name it, e.g. <c>data file 'x.txt'</c> or <c>x.safetensors:</c>.</param>
    /// <param name="expected">What was expected, e.g. <c>a safetensors file</c>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a regular file.</exception>
    public static FileStream OpenRead(string path, string label, string expected)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new InvalidDataException($"{label} is a directory, not a regular file ({expected} was expected)");
        if (!File.Exists(path)) throw new FileNotFoundException($"{label} does not exist", path);
        if (Kind(path) is { } kind) throw NotRegular(label, kind, expected);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            // Files under /proc and /sys say they are regular and empty, yet have content: their
            // length cannot be trusted, so they are refused rather than called "0 bytes long".
            if (stream.Length == 0 && stream.ReadByte() >= 0)
                throw NotRegular(label, "a special file whose size is not known, such as one under /proc", expected);
            stream.Position = 0;
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads a whole regular file (see <see cref="OpenRead"/>).</summary>
    public static byte[] ReadAllBytes(string path, string label, string expected)
    {
        using var stream = OpenRead(path, label, expected);
        if (stream.Length > Array.MaxLength)
            throw new InvalidDataException($"{label} is {stream.Length} bytes long, more than the {Array.MaxLength} bytes GpuRnn reads at once");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static InvalidDataException NotRegular(string label, string kind, string expected) =>
        new($"{label} is not a regular file (it is {kind}; {expected} was expected)");

    // What kind of file a path names when it is not a regular one, or null when it is (or when the
    // platform cannot tell; then only directories are recognised, above). statx is used because its
    // layout is the same on every Linux architecture, unlike struct stat's.
    private static string? Kind(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        Span<byte> buffer = stackalloc byte[256];
        int result;
        try
        {
            result = Statx(AtFdCwd, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        if (result != 0) return null;
        var mode = BitConverter.ToUInt16(buffer[28..30]);
        return (mode & 0xF000) switch
        {
            0x8000 => null,
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            0x4000 => "a directory",
            _ => "an unknown kind of file",
        };
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
