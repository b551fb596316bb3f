using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace GpuRnn.IO;

/// <summary>
/// Writes a file atomically: into a temporary <c>path.tmp-PID-RANDOM</c> beside it, flushed to
/// disk, then renamed over it, so the path always holds a whole file. A writer killed mid-write
/// leaves its temporary behind; the next write to the same path removes the temporaries of that
/// path whose writer is gone (its process has ended, or, in this process, no write is running),
/// never anything else.
/// </summary>
internal static partial class AtomicFile
{
    // The temporaries this process is writing now (another thread may write the same path).
    private static readonly ConcurrentDictionary<string, byte> InFlight = new(StringComparer.Ordinal);

    /// <summary>Writes <paramref name="path"/> (which must be a full path) through <paramref name="write"/>.</summary>
    public static void Write(string path, Action<FileStream> write)
    {
        RemoveStaleTemporaries(path);
        var temporary = string.Create(CultureInfo.InvariantCulture,
            $"{path}.tmp-{Environment.ProcessId}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant()}");
        InFlight[temporary] = 0;
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        finally
        {
            InFlight.TryRemove(temporary, out _);
        }
    }

    /// <summary>Deletes the temporaries of <paramref name="path"/> whose writer is gone; returns how many.</summary>
    internal static int RemoveStaleTemporaries(string path)
    {
        var folder = Path.GetDirectoryName(path);
        var name = Path.GetFileName(path);
        if (folder is null || name.Length == 0 || !Directory.Exists(folder)) return 0;
        var removed = 0;
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateFiles(folder, name + ".tmp-*").ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        foreach (var candidate in candidates)
        {
            if (IsStale(candidate, Path.GetFileName(candidate)[(name.Length + 5)..]) && TryDelete(candidate)) removed++;
        }
        return removed;
    }

    private static bool IsStale(string file, string suffix)
    {
        var current = CurrentName().Match(suffix);
        if (current.Success)
        {
            if (!int.TryParse(current.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return false;
            return pid == Environment.ProcessId ? !InFlight.ContainsKey(file) : !IsRunning(pid);
        }
        // Written before temporaries carried their writer's id: stale once older than any write takes.
        if (!OlderName().IsMatch(suffix)) return false;
        try { return DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > TimeSpan.FromMinutes(10); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
        catch (System.ComponentModel.Win32Exception) { return true; }
    }

    private static bool TryDelete(string file)
    {
        try
        {
            File.Delete(file);
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    [GeneratedRegex("^([0-9]{1,10})-[0-9a-f]{12}$")]
    private static partial Regex CurrentName();

    [GeneratedRegex("^[0-9a-f]{12}$")]
    private static partial Regex OlderName();
}
