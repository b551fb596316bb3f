namespace GpuRnn.Tasks.BuiltIn;

/// <summary>
/// The built-in data of <c>tag</c>: sentences such as <c>mr jordan met anna lee in new york .</c>
/// with BIO tags for persons, locations and organisations. Several names belong to more than one
/// kind (jordan, washington, georgia are persons and places; ford is a person and a company), so
/// the tag of such a word comes from its context on both sides. Generated from a seed by the
/// project itself.
/// </summary>
public static class EntitySentences
{
    /// <summary>The name shown for the data in logs and checkpoints.</summary>
    public const string Name = "built-in entity sentences";

    private static readonly string[] FirstNames = ["john", "mary", "anna", "peter", "james", "linda", "george", "michael", "sarah", "david", "georgia", "jordan"];
    private static readonly string[] Surnames = ["smith", "brown", "miller", "jordan", "washington", "ford", "lee", "clark", "lewis", "young"];
    private static readonly string[][] Places = [["paris"], ["london"], ["berlin"], ["tokyo"], ["madrid"], ["new", "york"], ["los", "angeles"],
        ["san", "francisco"], ["jordan"], ["washington"], ["georgia"], ["chad"]];
    private static readonly string[][] Companies = [["acme", "corp"], ["ford"], ["apple"], ["general", "motors"], ["united", "nations"],
        ["red", "cross"], ["first", "bank"], ["big", "data", "inc"], ["washington", "post"]];
    private static readonly string[] Days = ["monday", "tuesday", "friday", "sunday", "week", "year"];

    private static readonly string[] Templates =
    [
        "PER visited LOC last DAY .",
        "PER works for ORG in LOC .",
        "ORG opened an office in LOC .",
        "shares of ORG rose after PER spoke .",
        "mr SUR met PER in LOC .",
        "PER and PER flew to LOC on DAY .",
        "the head of ORG , PER , said hello .",
        "in LOC , ORG hired PER .",
        "PER said ORG will buy ORG .",
        "people in LOC love ORG .",
    ];

    /// <summary>Sentence <paramref name="index"/> of the stream <paramref name="seed"/>: tokens and their BIO tags.</summary>
    public static (string[] Tokens, string[] Tags) Example(ulong seed, long index)
    {
        var random = new GeneratorRandom(seed, (ulong)index);
        var tokens = new List<string>();
        var tags = new List<string>();
        void Entity(string[] words, string type)
        {
            for (var i = 0; i < words.Length; i++)
            {
                tokens.Add(words[i]);
                tags.Add((i == 0 ? "B-" : "I-") + type);
            }
        }
        foreach (var slot in random.Pick(Templates).Split(' '))
        {
            switch (slot)
            {
                case "PER":
                    Entity(random.Chance(0.6) ? [random.Pick(FirstNames), random.Pick(Surnames)] : [random.Pick(FirstNames)], "PER");
                    break;
                case "SUR":
                    Entity([random.Pick(Surnames)], "PER");
                    break;
                case "LOC":
                    Entity(random.Pick(Places), "LOC");
                    break;
                case "ORG":
                    Entity(random.Pick(Companies), "ORG");
                    break;
                case "DAY":
                    tokens.Add(random.Pick(Days));
                    tags.Add("O");
                    break;
                default:
                    tokens.Add(slot);
                    tags.Add("O");
                    break;
            }
        }
        return ([.. tokens], [.. tags]);
    }
}
