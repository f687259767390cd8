using AgentOps.Workers.Environments;
using AgentOps.Workers.Environments.Countdown;

namespace AgentOps.Workers.Tests.Environments;

public class CountdownEnvironmentTests
{
    private readonly CountdownEnvironment _env = new(new EnvironmentOptions("countdown"));

    [Fact]
    public async Task Reference_expressions_reach_the_target_and_python_agrees()
    {
        var tasks = Enumerable.Range(0, 100).Select(i => _env.Generate(TaskSeeds.For(5, i), $"t{i}")).ToList();
        foreach (var t in tasks)
        {
            var v = await _env.VerifyAsync(t, t.ReferenceAnswer!, null!);
            Assert.True(v.Total == 1, $"{t.Question}: {t.ReferenceAnswer}: {v.Message}");
        }
        var script = string.Join("\n", tasks.Select(t => $"print(int({t.ReferenceAnswer}))"));
        var lines = (await Python.RunAsync(script)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(tasks.Select(t => t.Data!["target"]), lines);
    }

    [Fact]
    public async Task Verifier_checks_numbers_value_and_syntax()
    {
        var task = new AgentOps.Workers.Environments.EnvTask("t", "countdown", "3 7 25 50 -> 181", "181", [], null,
            new Dictionary<string, string> { ["numbers"] = "3 7 25 50", ["target"] = "181" });
        Assert.Equal(1, (await _env.VerifyAsync(task, "(25-7)*(3+7)+1", null!)).Components["format"]); // parses
        Assert.Equal(0, (await _env.VerifyAsync(task, "(25-7)*(3+7)+1", null!)).Components["numbers"]); // 7 twice, 1 not given
        var used = await _env.VerifyAsync(task, "7*25+3+3", null!);
        Assert.Equal(0, used.Total);
        Assert.Contains("more often than given", used.Message);
        Assert.Equal(0, (await _env.VerifyAsync(task, "7*25+3+50/50", null!)).Components["numbers"]); // 50 twice
        var t175 = task with { Data = new Dictionary<string, string> { ["numbers"] = "3 7 25 50", ["target"] = "175" } };
        Assert.Equal(1, (await _env.VerifyAsync(t175, "(7/3)*(25+50)", null!)).Total); // exact only over rationals
        Assert.Equal(1, (await _env.VerifyAsync(task, "7*25+3", null!)).Components["numbers"]);
        Assert.Equal(0, (await _env.VerifyAsync(task, "7*25+3", null!)).Total); // 178
        Assert.Equal(1, (await _env.VerifyAsync(task, "50*3+25+7-1+0", null!)).Components["format"]);
        var wrong = await _env.VerifyAsync(task, "50*3+25", null!);
        Assert.Equal(0, wrong.Total);
        Assert.Contains("target 181", wrong.Message);
        Assert.Equal(0, (await _env.VerifyAsync(task, "50*(3+", null!)).Components["format"]);
        Assert.Equal(0, (await _env.VerifyAsync(task, "50/(7-7)", null!)).Components["format"]);
    }

    [Fact]
    public void Division_is_exact_over_rationals()
    {
        var r = CountdownExpression.TryParse("7/2*2", out _)!;
        Assert.True(r.IsInteger(out var v));
        Assert.Equal(7, (int)v);
        Assert.False(CountdownExpression.TryParse("7/2", out _)!.IsInteger(out _));
        Assert.Equal([7, 2, 2], CountdownExpression.TryParse("7 / 2 * 2", out _)!.Numbers);
    }
}
