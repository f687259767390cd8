using System.Text.Json.Serialization;

namespace AgentOps.Workers.Environments.MultihopQa;

/// <summary>
/// A generated local encyclopedia for `multihop-qa` (L0 / HotpotQA style): people, cities and companies
/// whose pages link to each other, so a question about a person needs a second page to answer. Written as
/// JSON next to the `qa` Python module; C# keeps the same object for ground truth.
/// </summary>
public sealed record Corpus([property: JsonPropertyName("pages")] IReadOnlyList<Page> Pages)
{
    private static readonly string[] Jobs = ["painter", "baker", "pilot", "nurse", "chemist", "farmer", "judge", "tailor"];

    public static Corpus Generate(Random random, int people = 40, int cities = 12, int companies = 10, int countries = 6)
    {
        var names = new Names(random);
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
