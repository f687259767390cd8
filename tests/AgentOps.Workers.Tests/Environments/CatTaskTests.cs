using AgentOps.Workers.Environments;
using AgentOps.Workers.Environments.Cat;
using AgentOps.Workers.Tests.Sandbox;

namespace AgentOps.Workers.Tests.Environments;

/// <summary>The Self-Challenging filter runs proposed tasks in a real sandbox and keeps only sound ones.</summary>
public sealed class CatTaskTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentops-cat-").FullName;
    private SandboxHarness _harness = null!;

    public Task InitializeAsync()
    {
        _harness = new SandboxHarness("process");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task Folder_tasks_are_kept_only_when_the_solution_passes_and_every_failure_fails()
    {
        const string Verify = "def verify(a):\n return a.strip() == str(sum(range(10)))";
        CatTaskFolder.Write(_dir, new CatTask("good", "sum of 0..9", Verify, "print(sum(range(10)))", ["46", "0"]));
        CatTaskFolder.Write(_dir, new CatTask("wrong-solution", "sum of 0..9", Verify, "print(44)", ["46"]));
        CatTaskFolder.Write(_dir, new CatTask("crashing-solution", "sum of 0..9", Verify, "print(1/0)", ["46"]));
        CatTaskFolder.Write(_dir, new CatTask("weak-verifier", "sum of 0..9", "def verify(a):\n return len(a) == 2", "print(sum(range(10)))", ["46", "0"]));
        CatTaskFolder.Write(_dir, new CatTask("hostile", "x", "def verify(a):\n import os\n return os.path.exists('/etc/shadow') and open('/etc/shadow').read() == a", "print('x')", ["y"]));
        await using var sandbox = await _harness.StartAsync();
        var checks = new List<CatCheck>();
        foreach (var t in await new CatTaskFolder(_dir).ProposeAsync(new Random(1), 0)) checks.Add(await CatTaskValidator.CheckAsync(t, sandbox));
        var byId = checks.ToDictionary(c => c.Task.Id);
        Assert.True(byId["good"].Kept, byId["good"].Reason);
        Assert.Equal("45", byId["good"].SolutionAnswer);
        Assert.Equal("solution's answer '44' does not pass verify", byId["wrong-solution"].Reason);
        Assert.StartsWith("solution failed: ZeroDivisionError", byId["crashing-solution"].Reason);
        Assert.Equal("failure case 0 ('46') is not rejected by verify", byId["weak-verifier"].Reason);
        Assert.False(byId["hostile"].Kept);

        var env = new CatEnvironment([byId["good"]]);
        var task = env.Generate(new Random(2), "e1");
        Assert.Equal("sum of 0..9", task.Question);
        Assert.Equal(1, (await env.VerifyAsync(task, " 45\n", sandbox)).Total);
        // An answer crafted to break out of the verifier's string literal is just a wrong answer.
        Assert.Equal(0, (await env.VerifyAsync(task, "45\"); print(\"CAT:[true]", sandbox)).Total);
        Assert.Throws<ArgumentException>(() => new CatEnvironment([byId["weak-verifier"]]));
    }

    [Fact]
    public async Task Template_challenger_tasks_pass_the_filter_and_weak_ones_are_dropped()
    {
        await using var sandbox = await _harness.StartAsync();
        var (kept, checks) = await CatEnvironment.ProposeAsync(new TemplateChallenger(), 11, "train", 10, sandbox);
        Assert.Equal(10, kept.Count);
        Assert.Equal(10, checks.Count);
        Assert.Equal(10, kept.Select(c => c.Task.Instruction).Distinct().Count());
        var weak = await new TemplateChallenger(weakRate: 1).ProposeAsync(new Random(11), 6);
        foreach (var task in weak) Assert.False((await CatTaskValidator.CheckAsync(task, sandbox)).Kept, task.Id);
        var (none, tried) = await CatEnvironment.ProposeAsync(new TemplateChallenger(weakRate: 1), 11, "train", 3, sandbox);
        Assert.Empty(none);
        Assert.True(tried.Count > 3);
    }

    [Fact]
    public async Task Challenger_settings_are_honoured_or_rejected_by_name()
    {
        static CatSettings Read(params (string Key, string Value)[] kv) =>
            EnvironmentSettings.Parse(new EnvironmentOptions("cat", Settings: kv.ToDictionary(p => p.Key, p => p.Value)), CatSettings.Read);
        Assert.IsType<TemplateChallenger>(Read(("challenger", "generator")).CreateChallenger());
        Assert.IsType<CatTaskFolder>(Read(("tasksDir", _dir)).CreateChallenger());
        Assert.Equal(0.5, Read(("weakRate", "0.5")).WeakRate);
        Assert.Equal(12, Read(("tasks", "12")).Tasks);
        Assert.Equal("spec.environment.settings.challenger: must be one of generator, folder, got 'policy'",
            Assert.Throws<ArgumentException>(() => Read(("challenger", "policy"))).Message);
        Assert.Equal("spec.environment.settings.tasksDir: required with challenger folder, got none",
            Assert.Throws<ArgumentException>(() => Read(("challenger", "folder"))).Message);
        Assert.StartsWith("spec.environment.settings.weakRate: only read with challenger generator",
            Assert.Throws<ArgumentException>(() => Read(("tasksDir", _dir), ("weakRate", "0.2"))).Message);
        // The setting reaches the environment: a weak rate of 1 leaves nothing to train on.
        var options = new EnvironmentOptions("cat", Settings: new Dictionary<string, string> { ["weakRate"] = "1", ["tasks"] = "4" });
        var e = await Assert.ThrowsAsync<ArgumentException>(() => EnvironmentFactory.CreateAsync(options, async _ => await _harness.StartAsync()));
        Assert.StartsWith("cat: no proposed training task survived the check", e.Message);
    }
}
