using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentOps.Workers.Environments.MultihopQa;

/// <summary>
/// A generated local encyclopedia for one `multihop-qa` task (L0 / HotpotQA style): people, cities and companies
/// whose pages link to each other, so a question about a person needs further pages to answer. Each task has its
/// own corpus from its own random source, and a held-out task's corpus is made only of held-out names
/// (<see cref="Names"/>). The episode's setup cell loads it, as JSON, into the `qa` module; C# keeps the same
/// object for ground truth.
/// </summary>
public sealed record Corpus([property: JsonPropertyName("pages")] IReadOnlyList<Page> Pages)
{
    private static readonly string[] Jobs = ["painter", "baker", "pilot", "nurse", "chemist", "farmer", "judge", "tailor"];

    public static Corpus Generate(Random random, bool heldOut, int people = 12, int cities = 6, int companies = 5, int countries = 4)
    {
        var names = new Names(random, heldOut);
        var countryNames = Enumerable.Range(0, countries).Select(_ => names.Word(3)).ToList();
        var personNames = Enumerable.Range(0, people).Select(_ => names.Person()).ToList();
        var cityNames = Enumerable.Range(0, cities).Select(_ => names.Word(2)).ToList();
        var companyNames = Enumerable.Range(0, companies).Select(_ => names.Word(2) + " Co").ToList();
        string Pick(List<string> xs) => xs[random.Next(xs.Count)];

        var pages = new List<Page>();
        foreach (var c in cityNames)
            pages.Add(new Page(c, "city", new Dictionary<string, string> { ["country"] = Pick(countryNames), ["mayor"] = Pick(personNames) }));
        foreach (var c in companyNames)
            pages.Add(new Page(c, "company", new Dictionary<string, string> { ["city"] = Pick(cityNames), ["founder"] = Pick(personNames) }));
        foreach (var p in personNames)
            pages.Add(new Page(p, "person", new Dictionary<string, string>
            {
                ["born"] = Pick(cityNames), ["works_for"] = Pick(companyNames), ["job"] = Jobs[random.Next(Jobs.Length)],
            }));
        return new Corpus(pages);
    }

    public Page Get(string title) => Pages.Single(p => p.Title == title);

    /// <summary>Every entity name in the corpus, for checks that two corpora share none.</summary>
    public IEnumerable<string> Names() => Pages.Select(p => p.Title);

    public string ToJson() => JsonSerializer.Serialize(this);
}

/// <summary>One entity page: a title, its kind and its facts; <see cref="Text"/> is what `search()` shows.</summary>
public sealed record Page(
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("facts")] IReadOnlyDictionary<string, string> Facts)
{
    [JsonPropertyName("text")]
    public string Text => Title + ". " + string.Join(" ", Facts.Select(f => $"{f.Key}: {f.Value}."));
}
