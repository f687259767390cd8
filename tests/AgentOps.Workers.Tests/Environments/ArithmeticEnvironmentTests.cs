using AgentOps.Workers.Environments;
using AgentOps.Workers.Environments.Arithmetic;

namespace AgentOps.Workers.Tests.Environments;

public class ArithmeticEnvironmentTests
{
    private static ArithmeticEnvironment Make(int min = 2, int max = 4) =>
        new(new EnvironmentOptions(Settings: new Dictionary<string, string> { ["minOps"] = $"{min}", ["maxOps"] = $"{max}" }));

    [Fact]
    public void Same_seed_and_index_give_the_same_task_and_ops_stay_in_range()
    {
        var env = Make(3, 5);
        for (var i = 0; i < 50; i++)
        {
            var a = env.Generate(TaskSeeds.For(7, i), $"t{i}");
            var b = env.Generate(TaskSeeds.For(7, i), $"t{i}");
            Assert.Equal(a.Question, b.Question);
            var ops = a.Question.Count(c => c is '+' or '-' or '*');
            Assert.InRange(ops, 3, 5);
        }
        Assert.NotEqual(env.Generate(TaskSeeds.For(7, 1), "x").Question, env.Generate(TaskSeeds.For(8, 1), "x").Question);
    }

    [Fact]
    public async Task Ground_truth_agrees_with_python_on_200_expressions()
    {
        var env = Make(1, 8);
        var tasks = Enumerable.Range(0, 200).Select(i => env.Generate(TaskSeeds.For(3, i), $"t{i}")).ToList();
        var script = string.Join("\n", tasks.Select(t => $"print({t.Question})"));
        var lines = (await Python.RunAsync(script)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(tasks.Select(t => t.ExpectedAnswer), lines);
        Assert.All(tasks, t => Assert.Equal($"print({t.Question})", Assert.Single(t.ReferenceCells)));
    }

    [Fact]
    public async Task Verifier_rewards_only_the_exact_integer()
    {
        var env = Make();
        var task = env.Generate(TaskSeeds.For(1, 0), "t0");
        var right = await env.VerifyAsync(task, $" {task.ExpectedAnswer}\n", null!);
        Assert.Equal(1, right.Total);
        var off = await env.VerifyAsync(task, (long.Parse(task.ExpectedAnswer) + 1).ToString(), null!);
        Assert.Equal(0, off.Total);
        Assert.Equal(1, off.Components["format"]);
        Assert.Contains(task.ExpectedAnswer, off.Message);
        var text = await env.VerifyAsync(task, "about twelve", null!);
        Assert.Equal(0, text.Components["format"]);
    }

    private static int Ops(EnvTask t) => t.Question.Count(c => c is '+' or '-' or '*');

    [Fact]
    public void Each_split_draws_from_its_own_ops_range_and_defaults_to_minOps_maxOps()
    {
        var env = new ArithmeticEnvironment(new EnvironmentOptions(Settings: new Dictionary<string, string>
        {
            ["minOps"] = "2", ["maxOps"] = "4", ["sftMinOps"] = "1", ["sftMaxOps"] = "1", ["evalMinOps"] = "5", ["evalMaxOps"] = "6",
        }));
        var sft = Enumerable.Range(0, 60).Select(i => Ops(env.Generate(TaskSeeds.For(7, i), $"t{i}", "sft"))).ToHashSet();
        var train = Enumerable.Range(0, 60).Select(i => Ops(env.Generate(TaskSeeds.For(7, i), $"t{i}", "train"))).ToHashSet();
        var eval = Enumerable.Range(0, 60).Select(i => Ops(env.Generate(TaskSeeds.For(7, i), $"t{i}", "eval"))).ToHashSet();
        Assert.Equal([1], sft);
        Assert.Equal([2, 3, 4], train.Order());
        Assert.Equal([5, 6], eval.Order());
        Assert.Equal(env.Generate(TaskSeeds.For(7, 3), "x").Question, env.Generate(TaskSeeds.For(7, 3), "x", "train").Question);

        var defaults = Make(3, 3);
        Assert.All(new[] { "sft", "train", "eval" }, split =>
            Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(3, Ops(defaults.Generate(TaskSeeds.For(2, i), "t", split)))));
        Assert.Throws<ArgumentException>(() => defaults.Generate(TaskSeeds.For(2, 0), "t", "test"));
    }

    [Fact]
    public void Bad_split_settings_name_the_field_and_value()
    {
        var e = Assert.Throws<ArgumentException>(() => new ArithmeticEnvironment(new EnvironmentOptions(Settings: new Dictionary<string, string>
        {
            ["evalMinOps"] = "4", ["evalMaxOps"] = "3",
        })));
        Assert.Equal("spec.environment.settings.evalMaxOps: must be at least evalMinOps (4), got 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ArithmeticEnvironment(new EnvironmentOptions(Settings: new Dictionary<string, string> { ["sftMinOps"] = "0" })));
        Assert.Contains("spec.environment.settings.sftMinOps: must be at least 1, got 0", e.Message);
    }

    [Fact]
    public void Bad_settings_name_the_field_and_value()
    {
        var e = Assert.Throws<ArgumentException>(() => Make(4, 2));
        Assert.Contains("spec.environment.settings.maxOps", e.Message);
        Assert.Contains("got 2", e.Message);
    }
}
