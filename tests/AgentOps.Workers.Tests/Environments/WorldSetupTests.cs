using AgentOps.Protos.V1;
using AgentOps.Workers.Agent;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Sandbox;
using AgentOps.Workers.Sandbox.Pool;
using AgentOps.Workers.Sandbox.Repl;
using AgentOps.Workers.Tests.Sandbox;

namespace AgentOps.Workers.Tests.Environments;

/// <summary>
/// A task's own world reaches the tool module through its setup cell, in the real pooled sandbox (process and gVisor): the scripted
/// reference solves the task over that world, the recycle after it stays a cheap soft reset, and the next episode
/// in the same container starts with no world loaded (nothing of one task's world leaks into the next).
/// </summary>
public abstract class WorldSetupTests(string runtime) : IAsyncLifetime
{
    private readonly string _tools = Directory.CreateTempSubdirectory("agentops-setup-tools-").FullName;
    private SandboxHarness _harness = null!;
    private SandboxPool _pool = null!;

    public Task InitializeAsync()
    {
        ToolsFolder.Write(_tools);
        _harness = new SandboxHarness(runtime, toolsDir: _tools);
        _pool = new SandboxPool(_harness.Factory, warm: 0, _harness.LoggerFactory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _pool.DisposeAsync();
        await _harness.DisposeAsync();
        Directory.Delete(_tools, true);
    }

    [Theory]
    [InlineData("tools", "biz", "get_order")]
    [InlineData("multihop-qa", "qa", "search")]
    public async Task The_world_is_loaded_for_its_episode_only_and_the_recycle_stays_soft(string name, string module, string tool)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var env = EnvironmentFactory.Create(new EnvironmentOptions(name));
        for (var i = 0; i < 3; i++)
        {
            var task = env.Generate(TaskSeeds.For(21, i), $"t{i}", i == 2 ? "eval" : "train");
            PythonSandbox inner;
            await using (var sandbox = await _pool.AcquireAsync(cts.Token))
            {
                inner = ((PooledSandbox)sandbox).Inner;
                var t = await new AgentLoop(new AgentOptions(MaxTurns: 6), TimeProvider.System)
                    .RunAsync(new EpisodeSpec("run", $"e{i}", 0, "g", "train", "ex", task), env, new ScriptedPolicy(), sandbox, cts.Token);
                Assert.True(t.Outcome.Status == OutcomeStatus.Answered && t.Reward.Total == 1, $"{task.Question}: {t.Outcome.Message}");
                // The setup cell is no step of the agent's and none of its output is in the episode.
                Assert.Equal(task.ReferenceCells.Count + 1, t.Steps.Count);
                Assert.DoesNotContain("_load", AgentOps.Protos.Tokenization.ByteTokenizer.Decode(t.Segments.SelectMany(s => s.TokenIds).ToArray()));
            }
            await _pool.WaitRecycledAsync(cts.Token);
            Assert.True(inner.LastReset is { Kind: ResetOutcome.Soft }, $"episode {i}: {inner.LastReset}");
        }
        await using (var next = await _pool.AcquireAsync(cts.Token))
        {
            var cell = await next.ExecuteAsync($"from {module} import *\n{tool}('x')", cts.Token);
            Assert.Contains("no ", cell.Error);
            Assert.Contains("is loaded", cell.Error);
        }
    }
}

public sealed class ProcessWorldSetupTests() : WorldSetupTests("process");

[Collection(SandboxCollection.Name)]
public sealed class GvisorWorldSetupTests() : WorldSetupTests("gvisor");
