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
        var (env, checks) = await CatEnvironment.BuildAsync(new CatTaskFolder(_dir), new Random(1), 0, sandbox);
        var byId = checks.ToDictionary(c => c.Task.Id);
        Assert.True(byId["good"].Kept, byId["good"].Reason);
        Assert.Equal("45", byId["good"].SolutionAnswer);
        Assert.Equal("solution's answer '44' does not pass verify", byId["wrong-solution"].Reason);
        Assert.StartsWith("solution failed: ZeroDivisionError", byId["crashing-solution"].Reason);
        Assert.Equal("failure case 0 ('46') is not rejected by verify", byId["weak-verifier"].Reason);
        Assert.False(byId["hostile"].Kept);
        Assert.Equal(["good"], env.Tasks.Select(t => t.Id));

        var task = env.Generate(new Random(2), "e1");
        Assert.Equal("sum of 0..9", task.Question);
        Assert.Equal(1, (await env.VerifyAsync(task, " 45\n", sandbox)).Total);
        // An answer crafted to break out of the verifier's string literal is just a wrong answer.
        Assert.Equal(0, (await env.VerifyAsync(task, "45\"); print(\"CAT:[true]", sandbox)).Total);
    }

    [Fact]
    public async Task Template_challenger_tasks_pass_the_filter_and_weak_ones_are_dropped()
    {
        await using var sandbox = await _harness.StartAsync();
        var (_, good) = await CatEnvironment.BuildAsync(new TemplateChallenger(), new Random(11), 10, sandbox);
        Assert.True(good.Count(c => c.Kept) >= 9, string.Join("\n", good.Where(c => !c.Kept).Select(c => c.Reason)));
        var weak = await new TemplateChallenger(weakRate: 1).ProposeAsync(new Random(11), 6);
        foreach (var task in weak) Assert.False((await CatTaskValidator.CheckAsync(task, sandbox)).Kept, task.Id);
        await Assert.ThrowsAsync<ArgumentException>(() => CatEnvironment.BuildAsync(new TemplateChallenger(weakRate: 1), new Random(11), 3, sandbox));
    }
}
