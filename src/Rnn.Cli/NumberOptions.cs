using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace GpuRnn.Cli;

/// <summary>
/// Every numeric option is read in one invariant form: an optional sign, digits, and for real
/// numbers a '.' and an exponent, with no thousands separators (System.CommandLine's own parse
/// took <c>--lr 0,001</c> as 1 and <c>--lr 1,5</c> as 15). A text that is not such a number is
/// one usage line naming the option, the text and the form expected, not a .NET type name.
/// </summary>
internal static class NumberOptions
{
    /// <summary>Gives every numeric option of <paramref name="command"/> and its subcommands this parse.</summary>
    public static void Apply(Command command)
    {
        foreach (var option in command.Options)
        {
            switch (option)
            {
                case Option<double> o: o.CustomParser = r => Real(r, o.Name, Box(o.DefaultValueFactory)) ?? 0; break;
                case Option<double?> o: o.CustomParser = r => Real(r, o.Name, Box(o.DefaultValueFactory)); break;
                case Option<int> o: o.CustomParser = r => Whole<int>(r, o.Name, Box(o.DefaultValueFactory)) ?? 0; break;
                case Option<int?> o: o.CustomParser = r => Whole<int>(r, o.Name, Box(o.DefaultValueFactory)); break;
                case Option<long> o: o.CustomParser = r => Whole<long>(r, o.Name, Box(o.DefaultValueFactory)) ?? 0; break;
                case Option<long?> o: o.CustomParser = r => Whole<long>(r, o.Name, Box(o.DefaultValueFactory)); break;
                case Option<ulong> o: o.CustomParser = r => Whole<ulong>(r, o.Name, Box(o.DefaultValueFactory)) ?? 0; break;
                case Option<ulong?> o: o.CustomParser = r => Whole<ulong>(r, o.Name, Box(o.DefaultValueFactory)); break;
            }
        }
        foreach (var sub in command.Subcommands) Apply(sub);
    }

    private static Func<ArgumentResult, object?>? Box<T>(Func<ArgumentResult, T>? factory) =>
        factory is null ? null : r => factory(r);

    // No token: the option's default (the parser is also asked for an option left out).
    private static double? Real(ArgumentResult result, string name, Func<ArgumentResult, object?>? fallback)
    {
        if (result.Tokens.Count == 0) return (double?)fallback?.Invoke(result);
        var text = result.Tokens[^1].Value;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
        result.AddError($"{name} expects a number such as 0.005 or 1e-3 (a '.' before the decimals, no thousands separators), got '{text}'");
        return null;
    }

    private static T? Whole<T>(ArgumentResult result, string name, Func<ArgumentResult, object?>? fallback)
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (result.Tokens.Count == 0) return (T?)fallback?.Invoke(result);
        var text = result.Tokens[^1].Value;
        if (T.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return value;
        // A whole number too large (or negative for an unsigned option) is told the range.
        var range = BigInteger.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            ? $" from {T.MinValue.ToString(null, CultureInfo.InvariantCulture)} to {T.MaxValue.ToString(null, CultureInfo.InvariantCulture)}"
            : "";
        result.AddError($"{name} expects a whole number{range}, got '{text}'");
        return null;
    }
}
