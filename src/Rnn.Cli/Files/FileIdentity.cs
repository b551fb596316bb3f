using System.Runtime.InteropServices;

namespace GpuRnn.Cli.Files;

/// <summary>
/// Which file a path really names: its real path (every symbolic link resolved, also when the
/// file itself does not exist yet, through its nearest existing folder) and, on Linux for a file
/// that exists, its device and inode, so that two hard links to one file are seen as one.
/// </summary>
/// <param name="RealPath">The absolute path with every symbolic link resolved.</param>
/// <param name="Device">st_dev, or -1 when unknown (the file does not exist, or not Linux).</param>
/// <param name="Inode">st_ino, or -1 when unknown.</param>
public readonly partial record struct FileIdentity(string RealPath, long Device, long Inode)
{
    /// <summary>Whether the file exists and its device and inode are known.</summary>
    public bool HasInode => Device >= 0 && Inode >= 0;

    /// <summary>Whether the two name the same file: the same device and inode, or the same real path.</summary>
    public bool SameFileAs(FileIdentity other) =>
        HasInode && other.HasInode ? Device == other.Device && Inode == other.Inode : string.Equals(RealPath, other.RealPath, PathComparison);

    private static StringComparison PathComparison =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>The identity of <paramref name="path"/> (which need not exist).</summary>
    public static FileIdentity Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var real = Resolve(Path.GetFullPath(path));
        var (device, inode) = StatOf(real);
        return new FileIdentity(real, device, inode);
    }

    /// <summary>(st_dev, st_ino) of an open file, or (-1, -1) where unknown.</summary>
    internal static (long Device, long Inode) StatOf(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux()) return (-1, -1);
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            Span<byte> buffer = stackalloc byte[StatBufferSize];
            return FStat((int)handle.DangerousGetHandle(), buffer) == 0 ? Read(buffer) : (-1, -1);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return (-1, -1); }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>(st_dev, st_ino) of a path (following links), or (-1, -1) where unknown.</summary>
    internal static (long Device, long Inode) StatOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return (-1, -1);
        try
        {
            Span<byte> buffer = stackalloc byte[StatBufferSize];
            return Stat(path, buffer) == 0 ? Read(buffer) : (-1, -1);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return (-1, -1); }
    }

    // glibc and musl on x86-64 and arm64 both start struct stat with st_dev and st_ino, 8 bytes
    // each; the struct is at most 144 bytes (x86-64) or 128 (arm64).
    private const int StatBufferSize = 256;

    private static (long, long) Read(ReadOnlySpan<byte> buffer) =>
        (BitConverter.ToInt64(buffer[..8]), BitConverter.ToInt64(buffer[8..16]));

    // The real path of the nearest existing folder, then the names that do not exist yet: a file
    // about to be written into a folder that is a symbolic link resolves to where it will really be.
    private static string Resolve(string full)
    {
        var missing = new Stack<string>();
        var existing = full;
        while (!File.Exists(existing) && !Directory.Exists(existing))
        {
            var parent = Path.GetDirectoryName(existing);
            if (parent is null) return full;
            missing.Push(Path.GetFileName(existing));
            existing = parent;
        }
        var real = CanonicalPath(existing) ?? existing;
        while (missing.Count > 0) real = Path.Combine(real, missing.Pop());
        return real;
    }

    private static string? CanonicalPath(string path)
    {
        if (OperatingSystem.IsWindows()) return Path.GetFullPath(path);
        try
        {
            var result = CRealPath(path, IntPtr.Zero);
            if (result == IntPtr.Zero) return null;
            try { return Marshal.PtrToStringUTF8(result); }
            finally { Free(result); }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr CRealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "fstat")]
    private static partial int FStat(int descriptor, Span<byte> buffer);
}
