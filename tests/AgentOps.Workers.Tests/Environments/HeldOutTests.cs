using AgentOps.Workers.Environments;
using AgentOps.Workers.Environments.Cat;
using AgentOps.Workers.Environments.MultihopQa;
using AgentOps.Workers.Environments.Tools;

namespace AgentOps.Workers.Tests.Environments;

/// <summary>
/// Issue 19.1: for every environment, no held-out task (nor anything of its world) is ever a training task. Each
/// test draws training tasks the way executors do (several executors' streams, demonstrations and RL prompts) and
/// the held-out set the way eval does, in a task space small enough that two training streams DO collide (the
/// control), so the empty intersection with the held-out set is the partition's doing, not luck.
/// </summary>
public sealed class HeldOutTests
{
    private static readonly string[] Executors = ["executor-0", "executor-1", "executor-2"];

    /// <summary>Training tasks as ExecutorService draws them: per executor its own stream, for both training splits.</summary>
    private static List<EnvTask> Training(IEnvironment env, int perStream, long seed = 1) =>
        Executors.SelectMany((executor, e) => new[] { "sft", "train" }.SelectMany(split =>
            Enumerable.Range(0, perStream).Select(i => env.Generate(TaskSeeds.ForSplit(seed ^ (e + 1) * 7919, split, i), $"{executor}-{i}", split)))).ToList();

    private static void AssertDisjoint(IEnumerable<string> training, IEnumerable<string> heldOut, IEnumerable<string> otherTraining, string what)
    {
        var train = training.ToHashSet(StringComparer.Ordinal);
        var held = heldOut.ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(held);
        var leaked = held.Where(train.Contains).Take(5).ToList();
        Assert.True(leaked.Count == 0, $"held-out {what} seen in training: {string.Join(" | ", leaked)}");
        // The control: in this space two training streams share material, so a missing partition would show.
        Assert.True(otherTraining.Any(train.Contains), $"the control found no {what} shared by two training streams: the space is too big for this test to mean anything");
    }

    private static IEnvironment Make(string name, params (string Key, string Value)[] settings) =>
        EnvironmentFactory.Create(new EnvironmentOptions(name, Settings: settings.ToDictionary(s => s.Key, s => s.Value)));

    [Fact]
    public void Arithmetic_held_out_expressions_are_never_training_expressions()
    {
        var env = Make("arithmetic", ("minOps", "1"), ("maxOps", "1"), ("maxOperand", "30"));
        var heldOut = env.HeldOut(new EnvironmentOptions("arithmetic", EvalSeed: 100000), 100);
        Assert.Equal(100, heldOut.Select(t => t.Question).Distinct().Count());
        AssertDisjoint(Training(env, 500).Select(t => t.Question), heldOut.Select(t => t.Question),
            Training(env, 500, seed: 2).Select(t => t.Question), "expressions");
        Assert.All(heldOut, t => Assert.True(HeldOutPartition.IsHeldOut(t.Question)));
    }

    [Fact]
    public void Countdown_held_out_puzzles_are_never_training_puzzles()
    {
        var env = Make("countdown", ("numbers", "2"), ("maxTarget", "40"));
        var heldOut = env.HeldOut(new EnvironmentOptions("countdown", EvalSeed: 200000), 10);
        AssertDisjoint(Training(env, 300).Select(t => t.Question), heldOut.Select(t => t.Question),
            Training(env, 300, seed: 2).Select(t => t.Question), "puzzles");
    }

    [Fact]
    public void Tools_held_out_questions_and_worlds_never_appear_in_training()
    {
        var env = Make("tools", ("minTools", "1"), ("maxTools", "1"));
        var heldOut = env.HeldOut(new EnvironmentOptions("tools", EvalSeed: 300000), 60);
        var training = Training(env, 200);
        AssertDisjoint(training.Select(t => t.Question), heldOut.Select(t => t.Question), Training(env, 200, seed: 2).Select(t => t.Question), "questions");
        // No person, city, product or meeting of a held-out world, nor any word of their names, is in a training world.
        static IEnumerable<string> Words(EnvTask t) => WorldOf(t).Names().SelectMany(n => n.Split(' '));
        var goods = new[] { "lamp", "chair", "kettle", "drill", "scarf", "clock", "mug", "radio", "tent", "bike", "meeting" };
        AssertDisjoint(training.SelectMany(Words).Except(goods), heldOut.SelectMany(Words).Except(goods),
            Training(env, 200, seed: 2).SelectMany(Words), "world names");
    }

    [Fact]
    public void Multihop_held_out_questions_and_corpora_never_appear_in_training()
    {
        var env = Make("multihop-qa", ("hops", "1"));
        var heldOut = env.HeldOut(new EnvironmentOptions("multihop-qa", EvalSeed: 400000), 60);
        var training = Training(env, 200);
        static IEnumerable<string> Words(EnvTask t) => CorpusOf(t).Names().SelectMany(n => n.Split(' ')).Where(w => w != "Co");
        AssertDisjoint(training.SelectMany(Words), heldOut.SelectMany(Words), Training(env, 200, seed: 2).SelectMany(Words), "corpus names");
        Assert.DoesNotContain(heldOut, h => training.Any(t => t.Question == h.Question));
    }

    [Fact]
    public async Task Cat_held_out_instructions_are_never_proposed_for_training()
    {
        var challenger = new TemplateChallenger();
        async Task<List<string>> Instructions(long seed, string split, int count)
        {
            var list = new List<string>();
            await foreach (var t in CatEnvironment.Candidates(challenger, seed, split, count)) if (list.Count < count) list.Add(t.Instruction);
            return list;
        }
        var heldOut = await Instructions(500000, "eval", 60);
        Assert.Equal(60, heldOut.Distinct().Count());
        var training = (await Instructions(5, "train", 300)).Concat(await Instructions(6, "train", 300));
        AssertDisjoint(training, heldOut, await Instructions(7, "train", 300), "instructions");
    }

    [Fact]
    public void An_eval_set_larger_than_the_held_out_space_is_refused_at_start_naming_the_setting()
    {
        // 1 operation on operands 2..10: 243 expressions, about 30 of them held out.
        var options = new EnvironmentOptions("arithmetic", Settings: new Dictionary<string, string> { ["minOps"] = "1", ["maxOps"] = "1", ["maxOperand"] = "10" }, EvalTasks: 200);
        var e = Assert.Throws<AggregateException>(() => EnvironmentFactory.CheckAsync(options, 200).Wait()).InnerException!;
        Assert.IsType<ArgumentException>(e);
        Assert.StartsWith("spec.environment.eval.tasks: 200 distinct held-out tasks wanted, but arithmetic with settings (maxOperand=10, maxOps=1, minOps=1) gave only ", e.Message);
        Assert.Contains("lower spec.environment.eval.tasks or widen the settings", e.Message);
        // What fits is served, all distinct and all held out.
        var fits = EnvironmentFactory.Create(options).HeldOut(options, 20);
        Assert.Equal(20, fits.Select(t => t.Question).Distinct().Count());
    }

    [Fact]
    public async Task A_task_folder_with_too_few_held_out_tasks_is_refused_by_name()
    {
        var dir = Directory.CreateTempSubdirectory("agentops-cat-few-").FullName;
        try
        {
            for (var i = 0; i < 3; i++)
                CatTaskFolder.Write(dir, new CatTask($"t{i}", $"print {i}", "def verify(a):\n return a.strip()=='x'", "print('x')", ["y"]));
            var options = new EnvironmentOptions("cat", Settings: new Dictionary<string, string> { ["tasksDir"] = dir });
            var e = await Assert.ThrowsAsync<ArgumentException>(() => EnvironmentFactory.CheckAsync(options, 50));
            Assert.StartsWith("spec.environment.eval.tasks: 50 distinct held-out tasks wanted, but cat with settings (tasksDir=", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static BusinessWorld WorldOf(EnvTask t) => System.Text.Json.JsonSerializer.Deserialize<BusinessWorld>(LoadedJson(t))!;

    private static Corpus CorpusOf(EnvTask t) => System.Text.Json.JsonSerializer.Deserialize<Corpus>(LoadedJson(t))!;

    /// <summary>The world a task's setup cell loads: the JSON string literal inside `_load(...)`.</summary>
    private static string LoadedJson(EnvTask t)
    {
        var setup = t.Setup!;
        var literal = setup[(setup.IndexOf("_load(", StringComparison.Ordinal) + 6)..setup.LastIndexOf(')')];
        return System.Text.Json.JsonSerializer.Deserialize<string>(literal)!;
    }
}
