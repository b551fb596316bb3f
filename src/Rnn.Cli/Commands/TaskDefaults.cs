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

    /// <summary>The peak learning rate of an optimizer when --lr is not given.</summary>
    public static double LearningRate(OptimizerKind kind) => TaskRegistry.Default.DefaultLearningRateOf(kind);
}

/// <summary>
/// The defaults of <c>gpurnn train --task NAME</c>, each sized so that the built-in run takes a
/// minute or two on two CPU cores; the task-specific ones are the task's (<see cref="SequenceTask"/>).
/// </summary>
public static class TaskDefaults
{
    /// <summary>Hidden units per layer.</summary>
    public static int Hidden(TaskKind task) => TaskRegistry.Get(task).DefaultHiddenSize;

    /// <summary>Examples per step.</summary>
    public const int Batch = TrainDefaults.Batch;

    /// <summary>Training steps.</summary>
    public static long Steps(TaskKind task) => TaskRegistry.Get(task).DefaultSteps;

    /// <summary>Steps between validations (and checkpoints).</summary>
    public static int EvalEvery(TaskKind task) => TaskRegistry.Get(task).DefaultEvalEvery;

    /// <summary>Adding: T; copy: the delay.</summary>
    public static int Length(TaskKind task) => TaskRegistry.Get(task).DefaultLength;

    /// <summary>Copy: symbols to remember.</summary>
    public const int CopyCount = 5;

    /// <summary>Windowed tasks: tokens per training example.</summary>
    public static int Window(TaskKind task) => TaskRegistry.Get(task).DefaultWindow;

    /// <summary>Learning rate of <paramref name="kind"/> for <paramref name="task"/>.</summary>
    public static double LearningRate(TaskKind task, OptimizerKind kind) => TaskRegistry.Get(task).DefaultLearningRateOf(kind);

    /// <summary>Global gradient-norm limit: the task's (1 for the adding problem), else <see cref="TrainDefaults.Clip"/>.</summary>
    public static double Clip(TaskKind task) => TaskRegistry.Get(task).DefaultClip ?? TrainDefaults.Clip;
}
