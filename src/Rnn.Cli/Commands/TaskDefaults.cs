namespace GpuRnn.Cli.Commands;

/// <summary>
/// The defaults of <c>gpurnn train</c> with no <c>--task</c>: the default task's (<see cref="CharLmTask"/>),
/// sized so that a run on the built-in corpus finishes in about three minutes on two CPU cores.
/// </summary>
public static class TrainDefaults
{
    /// <summary>The recurrent cell.</summary>
    public const string Cell = "lstm";

    /// <summary>Hidden units per layer.</summary>
    public static int Hidden => TaskRegistry.Default.DefaultHiddenSize;

    /// <summary>Recurrent layers.</summary>
    public const int Layers = 1;

    /// <summary>Embedding width.</summary>
    public const int Embedding = 32;

    /// <summary>Parallel streams (or examples) per step.</summary>
    public const int Batch = 32;

    /// <summary>Characters per stream per step.</summary>
    public static int Seq => TaskRegistry.Default.DefaultWindow;

    /// <summary>Training steps.</summary>
    public static long Steps => TaskRegistry.Default.DefaultSteps;

    /// <summary>Gradient-norm limit of a task that names none.</summary>
    public const double Clip = 5;

    /// <summary>Steps between validations (and checkpoints).</summary>
    public static int EvalEvery => TaskRegistry.Default.DefaultEvalEvery;
}

/// <summary>
/// The defaults of <c>gpurnn train --task NAME</c> that its help texts name; the others are the
/// task's (<see cref="SequenceTask"/>: hidden size, steps, evaluation interval, window, learning rate).
/// </summary>
public static class TaskDefaults
{
    /// <summary>Copy: symbols to remember.</summary>
    public const int CopyCount = 5;

    /// <summary>Global gradient-norm limit: the task's (1 for the adding problem), else <see cref="TrainDefaults.Clip"/>.</summary>
    public static double Clip(TaskKind task) => TaskRegistry.Get(task).DefaultClip ?? TrainDefaults.Clip;
}
