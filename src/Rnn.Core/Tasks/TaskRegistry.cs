namespace GpuRnn.Tasks;

/// <summary>
/// The tasks by name and by <see cref="TaskKind"/>: the one place that lists them. The character
/// model (<c>charlm</c>, <see cref="CharLmTask"/>) is the default task and comes first in
/// <see cref="All"/>; the name lists for messages (<see cref="Names"/> and the others) are of the
/// tasks a <c>--task</c> option names besides it. A task defined elsewhere joins through
/// <see cref="Register"/>; its <see cref="SequenceTask.Kind"/> is a value outside the built-in
/// ones, since checkpoints store the task by name and <see cref="TaskKind"/> only tells tasks apart.
/// </summary>
public static class TaskRegistry
{
    private static readonly Lock Gate = new();

    // The order is that of the help texts and of "applies to --task ..." messages.
    private static SequenceTask[] _tasks = [new CharLmTask(), new ClassifyTask(), new TagTask(), new Seq2SeqTask(), new AddingTask(), new CopyTask(), new WordLmTask(), new CaptionTask()];

    /// <summary>Every task, built-in ones first, in registration order.</summary>
    public static IReadOnlyList<SequenceTask> All => Volatile.Read(ref _tasks);

    /// <summary>The default task, the character model (<c>charlm</c>).</summary>
    public static SequenceTask Default => All[0];

    /// <summary>The task names besides the default for help texts and messages: <c>classify, tag, seq2seq, adding, copy, wordlm or caption</c>.</summary>
    public static string Names => Join(Others, "or");

    /// <summary>The task a spec names.</summary>
    /// <exception cref="ArgumentException">No task of that kind is registered.</exception>
    public static SequenceTask Get(TaskKind kind) =>
        All.FirstOrDefault(t => t.Kind == kind) ?? throw new ArgumentException($"no task of kind {(int)kind} is registered (expected {Names})");

    /// <summary>The task of a name (case and surrounding spaces ignored).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones, charlm first.</exception>
    public static SequenceTask Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().ToLowerInvariant();
        return All.FirstOrDefault(t => t.Name == key) ?? throw new ArgumentException($"unknown task '{name}' (expected {Default.Name}, {Names})");
    }

    /// <summary>The names of the tasks of <paramref name="family"/>, joined by <paramref name="conjunction"/>: <c>classify and adding</c>.</summary>
    public static string NamesOf(TaskModelFamily family, string conjunction = "and") => Join(Others.Where(t => t.Family == family).ToList(), conjunction);

    /// <summary>The names of the tasks that take <paramref name="option"/>, for messages: <c>classify, tag or adding</c>.</summary>
    public static string NamesAccepting(TaskOptions option) => Join(Others.Where(t => t.Accepts(option)).ToList(), "or");

    /// <summary>
    /// Adds a task defined outside this library. Its name (lower case) and kind must be new (neither of
    /// <c>charlm</c> nor of a registered task); registered tasks appear in help texts and messages.
    /// </summary>
    /// <exception cref="ArgumentException">The name or the kind is taken.</exception>
    public static void Register(SequenceTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        lock (Gate)
        {
            if (task.Name != task.Name.Trim().ToLowerInvariant()) throw new ArgumentException($"a task name is lower case without surrounding spaces, got '{task.Name}'");
            if (_tasks.Any(t => t.Name == task.Name)) throw new ArgumentException($"a task named '{task.Name}' is already registered");
            if (_tasks.Any(t => t.Kind == task.Kind)) throw new ArgumentException($"a task of kind {(int)task.Kind} is already registered ({Get(task.Kind).Name})");
            Volatile.Write(ref _tasks, [.. _tasks, task]);
        }
    }

    /// <summary>Removes a task added by <see cref="Register"/> (the built-in ones stay); returns whether it was registered.</summary>
    public static bool Unregister(SequenceTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        lock (Gate)
        {
            if (Array.IndexOf(_tasks, task) < BuiltInCount) return false;
            Volatile.Write(ref _tasks, _tasks.Where(t => t != task).ToArray());
            return true;
        }
    }

    private const int BuiltInCount = 8;

    private static IReadOnlyList<SequenceTask> Others => All.Skip(1).ToList();

    private static string Join(IReadOnlyList<SequenceTask> tasks, string conjunction) =>
        tasks.Count <= 1 ? string.Join("", tasks.Select(t => t.Name))
            : string.Join(", ", tasks.Take(tasks.Count - 1).Select(t => t.Name)) + $" {conjunction} " + tasks[^1].Name;
}
