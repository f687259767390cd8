using AgentOps.Workers.Environments;
using AgentOps.Workers.Environments.MultihopQa;

namespace AgentOps.Workers.Tests.Environments;

/// <summary>
/// multihop-qa: questions chain through `hops` pages of the task's own corpus; both solutions (lookup chain, search
/// and read) reach the answer in the real python; the reward is exact match or token F1 as the settings say.
/// </summary>
public sealed class MultihopQaEnvironmentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentops-qa-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static MultihopQaEnvironment Make(int hops = 2, string? reward = null)
    {
        var settings = new Dictionary<string, string> { ["hops"] = $"{hops}" };
        if (reward is not null) settings["reward"] = reward;
        return new MultihopQaEnvironment(new EnvironmentOptions("multihop-qa", Settings: settings));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Both_solutions_reach_the_answer_through_hops_pages_in_python(int hops)
    {
        ToolsFolder.Write(_dir);
        var env = Make(hops);
        var cases = new List<(EnvTask Task, string Kind, IReadOnlyList<string> Cells)>();
        for (var i = 0; i < 15; i++)
        {
            var random = TaskSeeds.For(4, i);
            var corpus = Corpus.Generate(random, heldOut: false);
            var chain = MultihopQuestions.Chain(corpus, random, hops);
            Assert.Equal(hops, chain.Count);
            var task = new EnvTask($"t{i}", "multihop-qa", MultihopQuestions.Question(chain, random), chain[^1].Value, [],
                Setup: WorldSetup.Cell("qa", corpus.ToJson()));
            cases.Add((task, "lookup", MultihopQaEnvironment.Lookups(chain)));
            cases.Add((task, "search", MultihopQaEnvironment.Searches(chain)));
        }
        var printed = await ToolRunner.RunAsync(_dir, cases.Select(c => (c.Task.Setup, c.Cells)));
        for (var i = 0; i < cases.Count; i++)
        {
            var (task, kind, cells) = cases[i];
            Assert.Equal(hops, printed[i].Count);
            if (kind == "lookup") Assert.Equal(task.ExpectedAnswer, printed[i][^1]);
            else Assert.Contains($": {task.ExpectedAnswer}.", printed[i][^1]); // read off the last page's text
        }
        // A generated task uses one of the two, and its reference answer is the chain's end.
        var generated = env.Generate(TaskSeeds.For(4, 99), "g");
        Assert.Equal(generated.ExpectedAnswer, generated.ReferenceAnswer);
        Assert.Equal(hops, generated.Data!["fields"].Split(',').Length);
    }

    [Fact]
    public void Questions_are_paraphrased_over_many_relation_chains()
    {
        var env = Make(2);
        var tasks = Enumerable.Range(0, 300).Select(i => env.Generate(TaskSeeds.For(8, i), $"t{i}")).ToList();
        // Two hops from a person: through the city of birth (country, mayor) or the employer (city, founder).
        Assert.Equal(["born,country", "born,mayor", "works_for,city", "works_for,founder"], tasks.Select(t => t.Data!["fields"]).Distinct().Order());
        foreach (var chain in tasks.GroupBy(t => t.Data!["fields"]))
        {
            // The same relation chain is asked in several words: frames and phrasings, not only names, differ.
            var shapes = chain.Select(t => System.Text.RegularExpressions.Regex.Replace(t.Question, @"\b[A-Z][a-z]+( [A-Z][a-z]+| Co)?\b", "_")).Distinct().Count();
            Assert.True(shapes >= 2 || chain.Count() < 4, $"{chain.Key}: {string.Join(" | ", chain.Select(t => t.Question))}");
        }
        Assert.Equal(tasks.Count, tasks.Select(t => t.Setup).Distinct().Count());
    }

    [Fact]
    public async Task The_reward_is_what_the_settings_say_exact_match_or_f1()
    {
        var task = Make().Generate(TaskSeeds.For(4, 0), "t0") with { ExpectedAnswer = "Kel Osric" };
        foreach (var (env, partial) in new[] { (Make(reward: "f1"), 0.5), (Make(reward: "em"), 0.0), (Make(), 0.0) })
        {
            Assert.Equal(1, (await env.VerifyAsync(task, "kel osric.", null!)).Total);
            var half = await env.VerifyAsync(task, "Kel Brel", null!);
            Assert.Equal(partial, half.Total, 3);
            Assert.Equal(0, half.Components["correct"]);
            Assert.Equal(0.5, half.Components["f1"], 3);
        }
        Assert.Equal(0, AnswerMetrics.F1("nobody", "Kel Osric"));
        Assert.Equal("spec.environment.settings.reward: must be one of em, f1, got 'F1'", Assert.Throws<ArgumentException>(() => Make(reward: "F1")).Message);
        Assert.Equal("spec.environment.settings.hops: must be at most 3, got 4", Assert.Throws<ArgumentException>(() => Make(hops: 4)).Message);
    }
}
