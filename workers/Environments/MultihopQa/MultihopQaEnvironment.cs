using System.Globalization;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments.MultihopQa;

/// <summary>
/// Two-hop questions over a generated <see cref="Corpus"/>; the sandbox's `qa` module offers `search(query)`
/// (the best page's text) and `lookup(title, field)`. Reward: exact match; F1 in the breakdown.
/// The reference solution keeps the first hop in a variable for the second cell (notebook state).
/// </summary>
public sealed class MultihopQaEnvironment(Corpus corpus) : IEnvironment
{
    private static readonly (string Field1, string Field2, string Template)[] Templates =
    [
        ("born", "country", "In which country was {0} born?"),
        ("born", "mayor", "Who is the mayor of the city where {0} was born?"),
        ("works_for", "city", "In which city is the company {0} works for?"),
        ("works_for", "founder", "Who founded the company {0} works for?"),
    ];

    public Corpus Corpus => corpus;

    public string Name => "multihop-qa";

    public EnvTask Generate(Random random, string id)
    {
        var people = corpus.Pages.Where(p => p.Kind == "person").ToList();
        var person = people[random.Next(people.Count)];
        var t = random.Next(Templates.Length);
        var (f1, f2, template) = Templates[t];
        var bridge = person.Facts[f1];
        var answer = corpus.Get(bridge).Facts[f2];
        return new EnvTask(id, Name, string.Format(CultureInfo.InvariantCulture, template, person.Title), answer,
            [$"from qa import *\nb=lookup('{person.Title}','{f1}')\nprint(b)", $"print(lookup(b,'{f2}'))"],
            Data: new Dictionary<string, string> { ["bridge"] = bridge, ["template"] = t.ToString(CultureInfo.InvariantCulture) });
    }

    public Task<Verdict> VerifyAsync(EnvTask task, string answer, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        var em = AnswerMetrics.ExactMatch(answer, task.ExpectedAnswer);
        var f1 = AnswerMetrics.F1(answer, task.ExpectedAnswer);
        return Task.FromResult(new Verdict(em ? 1 : 0,
            new Dictionary<string, double> { ["correct"] = em ? 1 : 0, ["f1"] = f1, ["format"] = answer.Trim().Length > 0 ? 1 : 0 },
            em ? "exact match" : $"expected '{task.ExpectedAnswer}', got '{answer.Trim()}' (F1 {f1:0.00})"));
    }

    public string? FeedbackFor(CellResult cell) =>
        cell.Error is { } e && e.StartsWith("ToolError: ", StringComparison.Ordinal) ? e["ToolError: ".Length..].Trim() : null;
}
