namespace AgentOps.Workers.Environments.MultihopQa;

/// <summary>
/// Composes a multi-hop question from a chain of relations, each relation phrased one of several ways, nested
/// ("the country of the city where X was born"), then put in one of several question frames: the template and
/// slot sampling with paraphrase of LAM SIMULATOR, over the corpus's relations.
/// </summary>
internal static class MultihopQuestions
{
    /// <summary>The relations a page of each kind has, and the kind of page each leads to ("" for a plain value).</summary>
    public static readonly IReadOnlyDictionary<string, (string Field, string Leads)[]> Relations = new Dictionary<string, (string, string)[]>
    {
        ["person"] = [("born", "city"), ("works_for", "company"), ("job", "")],
        ["city"] = [("country", ""), ("mayor", "person")],
        ["company"] = [("city", "city"), ("founder", "person")],
    };

    /// <summary>Noun phrases per (kind, field): "{0}" is the subject; the possessive forms need a plain name as subject.</summary>
    private static readonly Dictionary<(string Kind, string Field), (string[] Any, string[] Possessive)> Phrases = new()
    {
        [("person", "born")] = (["the city where {0} was born", "the birthplace of {0}"], ["{0}'s birthplace"]),
        [("person", "works_for")] = (["the company {0} works for", "the employer of {0}"], ["{0}'s employer"]),
        [("person", "job")] = (["the job of {0}", "the occupation of {0}"], ["{0}'s job"]),
        [("city", "country")] = (["the country of {0}", "the country {0} lies in"], ["{0}'s country"]),
        [("city", "mayor")] = (["the mayor of {0}", "the person who is mayor of {0}"], ["{0}'s mayor"]),
        [("company", "city")] = (["the city {0} is based in", "the home city of {0}"], ["{0}'s home city"]),
        [("company", "founder")] = (["the founder of {0}", "the person who founded {0}"], ["{0}'s founder"]),
    };

    private static readonly string[] PersonFrames = ["Who is {0}?", "Name {0}.", "Tell me {0}."];
    private static readonly string[] ThingFrames = ["What is {0}?", "Name {0}.", "Tell me {0}."];

    /// <summary>One hop of a chain: from a page of <paramref name="Kind"/> titled <paramref name="From"/> along <paramref name="Field"/>, reaching <paramref name="Value"/>.</summary>
    public sealed record Hop(string Kind, string From, string Field, string Value, string Leads);

    /// <summary>A random chain of <paramref name="hops"/> hops from a random person; every hop but the last reaches another page.</summary>
    public static IReadOnlyList<Hop> Chain(Corpus corpus, Random random, int hops)
    {
        var people = corpus.Pages.Where(p => p.Kind == "person").ToList();
        var page = people[random.Next(people.Count)];
        var chain = new List<Hop>(hops);
        for (var k = 0; k < hops; k++)
        {
            var options = Relations[page.Kind].Where(r => k == hops - 1 || r.Leads.Length > 0).ToArray();
            var (field, leads) = options[random.Next(options.Length)];
            var value = page.Facts[field];
            chain.Add(new Hop(page.Kind, page.Title, field, value, leads));
            if (leads.Length > 0) page = corpus.Get(value);
        }
        return chain;
    }

    public static string Question(IReadOnlyList<Hop> chain, Random random)
    {
        var phrase = chain[0].From;
        foreach (var hop in chain)
        {
            var (any, possessive) = Phrases[(hop.Kind, hop.Field)];
            var forms = ReferenceEquals(hop, chain[0]) ? [.. any, .. possessive] : any;
            phrase = string.Format(System.Globalization.CultureInfo.InvariantCulture, forms[random.Next(forms.Length)], phrase);
        }
        var frames = chain[^1].Leads == "person" ? PersonFrames : ThingFrames;
        var question = string.Format(System.Globalization.CultureInfo.InvariantCulture, frames[random.Next(frames.Length)], phrase);
        return char.ToUpperInvariant(question[0]) + question[1..];
    }
}
