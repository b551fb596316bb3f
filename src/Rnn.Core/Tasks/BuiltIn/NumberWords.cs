namespace GpuRnn.Tasks.BuiltIn;

/// <summary>
/// The built-in data of <c>seq2seq</c>: numbers from 0 to 9999 written in English words, to be
/// written in digits (<c>four thousand twelve</c> to <c>4012</c>). Validation numbers are never
/// trained on, so exact matches there show that the model composes the digits from the words.
/// </summary>
public static class NumberWords
{
    /// <summary>The name shown for the data in logs and checkpoints.</summary>
    public const string Name = "built-in number words";

    /// <summary>The numbers are below this bound.</summary>
    public const int Limit = 10_000;

    private static readonly string[] Units = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    /// <summary><paramref name="n"/> in words, e.g. <c>seven thousand three hundred forty one</c>.</summary>
    public static string Words(int n)
    {
        if (n < 0 || n >= Limit) throw new ArgumentOutOfRangeException(nameof(n), $"n must be in [0, {Limit}), got {n}");
        if (n == 0) return Units[0];
        var parts = new List<string>();
        if (n >= 1000) parts.AddRange([Units[n / 1000], "thousand"]);
        if (n % 1000 >= 100) parts.AddRange([Units[n % 1000 / 100], "hundred"]);
        var rest = n % 100;
        if (rest >= 20)
        {
            parts.Add(Tens[rest / 10]);
            if (rest % 10 > 0) parts.Add(Units[rest % 10]);
        }
        else if (rest > 0) parts.Add(Units[rest]);
        return string.Join(' ', parts);
    }

    /// <summary>
    /// Every number in a random order from <paramref name="seed"/>, split into <paramref name="validation"/>
    /// validation pairs and the rest for training: (words, digits).
    /// </summary>
    public static (IReadOnlyList<(string Source, string Target)> Train, IReadOnlyList<(string Source, string Target)> Validation) Split(ulong seed, int validation)
    {
        var order = FixedTaskData.Shuffle(Limit, CounterRng.Hash(seed, 0x5E9));
        var pairs = order.Select(n => (Words(n), n.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        return (pairs[validation..], pairs[..validation]);
    }
}
