namespace GpuRnn.Cli.Files;

/// <summary>
/// The files one command reads and writes, declared before it does any work, so that every
/// command refuses the same way to write over what it reads: an output that is any input (the
/// same real path after symbolic links, or the same inode, a hard link) or another output is a
/// usage error (exit 2) naming both. Outputs declared exclusive are also locked for the run
/// (<see cref="OutputLock"/>), so that a second run writing the same file refuses at once (exit 3).
/// </summary>
public sealed class CommandFiles : IDisposable
{
    private readonly List<Entry> _inputs = [];
    private readonly List<Entry> _outputs = [];
    private readonly List<OutputLock> _locks = [];

    private sealed record Entry(string What, string Path, FileIdentity Identity, string? Replaces, bool Exclusive);

    /// <summary>Declares a file the command reads; null (not given) is ignored.</summary>
    /// <param name="what">How the user named it, e.g. <c>--data</c>.</param>
    /// <param name="path">The path as given.</param>
    public CommandFiles Input(string what, string? path)
    {
        ArgumentNullException.ThrowIfNull(what);
        if (path is not null) _inputs.Add(new Entry(what, path, FileIdentity.Of(path), null, false));
        return this;
    }

    /// <summary>Declares a file the command writes; null (not given) is ignored.</summary>
    /// <param name="what">How the user named it, e.g. <c>--out</c> or <c>the metrics file of the run folder</c>.</param>
    /// <param name="path">The path as given.</param>
    /// <param name="replaces">The one input this output may be, by design (<c>--resume</c>: a checkpoint written back to itself).</param>
    /// <param name="exclusive">Lock it for the whole run (<see cref="Acquire"/>).</param>
    public CommandFiles Output(string what, string? path, string? replaces = null, bool exclusive = false)
    {
        ArgumentNullException.ThrowIfNull(what);
        if (path is not null) _outputs.Add(new Entry(what, path, FileIdentity.Of(path), replaces, exclusive));
        return this;
    }

    /// <summary>
    /// Refuses (usage error) an output that is an input or another output, then locks the
    /// exclusive outputs (exit 3 when another run holds one). Call it before any work.
    /// </summary>
    public CommandFiles Acquire()
    {
        Check();
        try
        {
            foreach (var output in _outputs.Where(o => o.Exclusive))
                _locks.Add(OutputLock.Acquire(output.Path, output.What));
        }
        catch
        {
            Dispose();
            throw;
        }
        return this;
    }

    /// <summary>Refuses (usage error) an output that is an input or another output, naming both.</summary>
    public void Check()
    {
        for (var i = 0; i < _outputs.Count; i++)
        {
            var output = _outputs[i];
            foreach (var input in _inputs)
            {
                if (input.What == output.Replaces || !output.Identity.SameFileAs(input.Identity)) continue;
                throw Clash(output, input, "gpurnn never writes over a file it reads");
            }
            for (var j = 0; j < i; j++)
            {
                if (_outputs[j].Identity.SameFileAs(output.Identity))
                    throw Clash(output, _outputs[j], "one run cannot write two things to one file");
            }
            // The lock file is written and deleted too, so it must not be an input either.
            if (!output.Exclusive) continue;
            var lockIdentity = FileIdentity.Of(OutputLock.PathFor(output.Path));
            if (_inputs.FirstOrDefault(input => input.Identity.SameFileAs(lockIdentity)) is { } locked)
                throw new CliException($"{locked.What} {locked.Path} is the lock file of {output.What} {output.Path}; rename it or give another path", ExitCodes.Usage);
        }
    }

    /// <summary>Releases the locks (deleting their lock files), last taken first.</summary>
    public void Dispose()
    {
        // Reverse order: the first lock made the folders, which it removes only once they are
        // empty, so the locks taken after it in the same folder must be gone first.
        for (var i = _locks.Count - 1; i >= 0; i--) _locks[i].Dispose();
        _locks.Clear();
    }

    private static CliException Clash(Entry output, Entry other, string why)
    {
        var how = string.Equals(Path.GetFullPath(output.Path), Path.GetFullPath(other.Path), StringComparison.Ordinal) ? ""
            : output.Identity.RealPath == other.Identity.RealPath ? $" (both are {output.Identity.RealPath})"
            : " (a hard link to it)";
        return new CliException($"{output.What} {output.Path} is the same file as {other.What} {other.Path}{how}; {why}: give another path", ExitCodes.Usage);
    }
}
