using System.Globalization;

namespace GpuRnn.Tasks.Formats;

/// <summary>One line of a data file, with its 1-based number.</summary>
/// <param name="Number">The line number, from 1.</param>
/// <param name="Text">The line without its end (a trailing carriage return is removed).</param>
public readonly record struct DataLine(int Number, string Text);

/// <summary>
/// Reading the line-oriented data files of the tasks: strict UTF-8 (as <see cref="TextCorpus.ReadText"/>),
/// and errors that name the file and the line.
/// </summary>
public static class DataFile
{
    /// <summary>Every line of a UTF-8 text file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is a folder, empty, or not UTF-8 text.</exception>
    public static IReadOnlyList<DataLine> ReadLines(string path) => Lines(TextCorpus.ReadText(path));

    /// <summary>The lines of a text.</summary>
    public static IReadOnlyList<DataLine> Lines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('\n');
        var count = parts.Length;
        // A final newline ends the last line rather than starting an empty one.
        if (count > 0 && parts[^1].Length == 0) count--;
        var lines = new DataLine[count];
        for (var i = 0; i < count; i++) lines[i] = new DataLine(i + 1, parts[i].TrimEnd('\r'));
        return lines;
    }

    /// <summary><c>data file 'x', line 3</c>: where a value was read, for messages.</summary>
    public static string Where(string source, int line) => line > 0 ? $"{source}, line {line}" : source;

    /// <summary>An error at a line: <c>data file 'x', line 3: message</c>.</summary>
    public static InvalidDataException Error(string source, int line, string message) => new($"{Where(source, line)}: {message}");

    /// <summary>
    /// The field separator of a table: a comma for a <c>.csv</c> file, a tab for <c>.tsv</c>; otherwise
    /// (another extension, standard input) a tab when the first data line has one, else a comma.
    /// </summary>
    public static char Separator(string? path, IReadOnlyList<DataLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var extension = path is null ? "" : Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".csv") return ',';
        if (extension == ".tsv") return '\t';
        var first = lines.FirstOrDefault(l => !IsBlankOrComment(l.Text)).Text ?? "";
        return first.Contains('\t') || !first.Contains(',') ? '\t' : ',';
    }

    /// <summary>The name of a separator for messages.</summary>
    public static string SeparatorName(char separator) => separator == '\t' ? "<TAB>" : separator.ToString();

    /// <summary>Whether a line is skipped: empty, white space only, or a comment starting with '#'.</summary>
    public static bool IsBlankOrComment(string line) => string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#');

    /// <summary>Parses any number written in invariant form, NaN, infinity and 1e39 included (the form of a numeric field, not its validity).</summary>
    public static bool TryAnyNumber(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>
    /// Parses a number written in invariant form that float32 holds as a finite value: the task
    /// models compute in float32, where 1e39 would become infinity and the loss NaN.
    /// </summary>
    public static bool TryNumber(string text, out double value) =>
        TryAnyNumber(text, out value) && double.IsFinite(value) && Math.Abs(value) <= float.MaxValue;

    /// <summary>Why <see cref="TryNumber"/> refused <paramref name="text"/>, for messages: "not a finite number" or "beyond float32's range (...)".</summary>
    public static string NumberProblem(string text) =>
        TryAnyNumber(text, out var value) && double.IsFinite(value)
            ? $"beyond float32's range (at most {float.MaxValue.ToString("R", CultureInfo.InvariantCulture)} in magnitude)"
            : "not a finite number";

    /// <summary>The source name of a data file in messages: <c>data file 'path'</c>.</summary>
    public static string Describe(string path) => $"data file '{path}'";
}
