namespace GpuRnn.Cli.Files;

/// <summary>
/// An exclusive lock on an output for the length of a run: the file <c>PATH.lock</c> beside it,
/// held open with <see cref="FileShare.None"/> (an OS lock, flock on Unix, that ends with the
/// process however it ends). A lock file left behind by a killed run is therefore not locked and
/// does not stop the next one; a running one makes a second run refuse at once, naming the path.
/// </summary>
public sealed class OutputLock : IDisposable
{
    private FileStream? _stream;
    private readonly List<string> _createdFolders;

    private OutputLock(string path, FileStream stream, List<string> createdFolders)
    {
        Path = path;
        _stream = stream;
        _createdFolders = createdFolders;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>The lock file of <paramref name="output"/>: <c>output.lock</c>.</summary>
    public static string PathFor(string output) => output + ".lock";

    /// <summary>Locks <paramref name="output"/>; throws <see cref="CliException"/> (exit 3) naming it when another run holds it.</summary>
    /// <param name="output">The output file.</param>
    /// <param name="what">How the user named it, e.g. <c>--out</c>.</param>
    public static OutputLock Acquire(string output, string what)
    {
        ArgumentNullException.ThrowIfNull(output);
        var path = PathFor(output);
        var created = CreateFolders(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        // A run that releases its lock deletes the file first; one that had opened the old file
        // meanwhile holds a lock nobody else sees, so it checks it still holds the file at the path.
        for (var attempt = 0; ; attempt++)
        {
            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
            {
                throw new CliException($"{what} {output} is being written by another gpurnn run (its lock {path} is held); wait for that run to end or give another path");
            }
            catch (UnauthorizedAccessException e)
            {
                RemoveEmpty(created);
                throw new CliException($"{what} {output}: cannot create its lock file {path}: {e.Message}");
            }
            var held = FileIdentity.StatOf(stream.SafeFileHandle);
            var named = FileIdentity.StatOf(path);
            if (held == named || attempt >= 3) return new OutputLock(path, stream, created);
            stream.Dispose();
        }
    }

    // The folders made for the lock, outermost first, so that a run refused later leaves none behind.
    private static List<string> CreateFolders(string folder)
    {
        var missing = new List<string>();
        for (var f = folder; f is not null && !Directory.Exists(f); f = System.IO.Path.GetDirectoryName(f)) missing.Insert(0, f);
        try
        {
            foreach (var f in missing) Directory.CreateDirectory(f);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write to the output folder '{folder}': {e.Message}");
        }
        return missing;
    }

    private static void RemoveEmpty(List<string> folders)
    {
        for (var i = folders.Count - 1; i >= 0; i--)
        {
            try
            {
                if (Directory.Exists(folders[i]) && !Directory.EnumerateFileSystemEntries(folders[i]).Any()) Directory.Delete(folders[i]);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Deletes the lock file and releases the lock.</summary>
    public void Dispose()
    {
        if (_stream is null) return;
        try { File.Delete(Path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        _stream.Dispose();
        _stream = null;
        RemoveEmpty(_createdFolders);
    }
}
