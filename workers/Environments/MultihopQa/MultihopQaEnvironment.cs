using System.Globalization;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments.MultihopQa;

/// <summary>
/// Multi-hop questions (<see cref="MultihopSettings.Hops"/> pages deep) over a corpus generated for the task alone
/// (<see cref="Corpus"/>), asked in one of many paraphrases (<see cref="MultihopQuestions"/>); the sandbox's `qa`
/// module (loaded with the task's corpus by its setup cell) offers `search(query)` (the best page's text) and
/// `lookup(title, field)`. The ground truth is the chain's fixed lookup sequence. Demonstrations either follow
/// that sequence, keeping each hop in a variable for the next cell (notebook state), or read the pages with
/// search(). Held-out tasks have held-out corpora and question texts (<see cref="HeldOutPartition"/>).
/// Reward: exact match or token F1, as <see cref="MultihopSettings.Reward"/> says; "correct" is exact match.
/// </summary>
public sealed class MultihopQaEnvironment(MultihopSettings settings) : IEnvironment
{
    private static readonly string[] Variables = ["b", "c", "d"];

    public MultihopQaEnvironment(EnvironmentOptions options) : this(EnvironmentSettings.Parse(options, MultihopSettings.Read)) { }

    public string Name => "multihop-qa";

    public EnvTask Generate(Random random, string id) => Generate(random, id, "train");

    public EnvTask Generate(Random random, string id, string split)
    {
        var corpus = Corpus.Generate(random, HeldOutPartition.IsEval(split));
        var (chain, question) = HeldOutPartition.Draw(random, split, r =>
        {
            var c = MultihopQuestions.Chain(corpus, r, settings.Hops);
            return (c, MultihopQuestions.Question(c, r));
        }, q => q.Item2, $"multihop-qa {split} question of {settings.Hops} hops");
        var answer = chain[^1].Value;
        IReadOnlyList<string>[] solutions = [Lookups(chain), Searches(chain)];
        return new EnvTask(id, Name, question, answer, solutions[random.Next(solutions.Length)], answer,
            new Dictionary<string, string>
            {
                ["bridge"] = chain[0].Value,
                ["hops"] = chain.Count.ToString(CultureInfo.InvariantCulture),
                ["fields"] = string.Join(",", chain.Select(h => h.Field)),
            },
            Setup: WorldSetup.Cell("qa", corpus.ToJson()));
    }

    /// <summary>The fixed sequence: lookup(title, field) per hop, each result kept in a variable for the next cell.</summary>
    internal static IReadOnlyList<string> Lookups(IReadOnlyList<MultihopQuestions.Hop> chain) =>
        chain.Select((hop, k) =>
        {
            var subject = k == 0 ? $"'{hop.From}'" : Variables[k - 1];
            var cell = $"{Variables[k]}=lookup({subject},'{hop.Field}')\nprint({Variables[k]})";
            return k == 0 ? "from qa import *\n" + cell : cell;
        }).ToList();

    /// <summary>Another way through: search() each page in turn and read the fact off its text.</summary>
    internal static IReadOnlyList<string> Searches(IReadOnlyList<MultihopQuestions.Hop> chain) =>
        chain.Select((hop, k) => (k == 0 ? "from qa import *\n" : "") + $"print(search('{hop.From}'))").ToList();

    public Task<Verdict> VerifyAsync(EnvTask task, string answer, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        var em = AnswerMetrics.ExactMatch(answer, task.ExpectedAnswer);
        var f1 = AnswerMetrics.F1(answer, task.ExpectedAnswer);
        var reward = settings.Reward == "f1" ? f1 : em ? 1 : 0;
        return Task.FromResult(new Verdict(reward,
            new Dictionary<string, double> { ["correct"] = em ? 1 : 0, ["f1"] = f1, ["format"] = answer.Trim().Length > 0 ? 1 : 0 },
            em ? "exact match" : $"expected '{task.ExpectedAnswer}', got '{answer.Trim()}' (F1 {f1:0.00}, reward {settings.Reward})"));
    }

    public string? FeedbackFor(CellResult cell) =>
        cell.Error is { } e && e.StartsWith("ToolError: ", StringComparison.Ordinal) ? e["ToolError: ".Length..].Trim() : null;
}
