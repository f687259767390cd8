using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Tests.Sandbox;

[Collection(SandboxCollection.Name)]
public sealed class SandboxFactoryTests
{
    [Fact]
    public async Task Missing_runsc_falls_back_to_process_only_when_allowed_and_says_so()
    {
        await using (var h = new SandboxHarness("gvisor", allowFallback: true, runsc: "/nonexistent/runsc"))
        {
            Assert.Equal("process", h.Factory.Runtime);
            Assert.Contains(h.Logs.Lines, l => l.StartsWith("Warning: sandbox runtime 'gvisor' requested but unusable (runsc not found", StringComparison.Ordinal));
            Assert.Contains(h.Logs.Lines, l => l.StartsWith("Warning: sandbox runtime 'process' is WEAKER isolation", StringComparison.Ordinal));
            Assert.Contains(h.Logs.Lines, l => l.Contains("sandbox runtime: process (fallback from gvisor", StringComparison.Ordinal));
            await using var sb = await h.StartAsync();
            Assert.Equal("process", sb.Runtime);
            Assert.Equal("2\n", (await sb.ExecuteAsync("1 + 1")).Stdout);
        }
        var e = Assert.Throws<SandboxUnavailableException>(() => new SandboxHarness("gvisor", runsc: "/nonexistent/runsc"));
        Assert.StartsWith("sandbox.runtime: gvisor is unusable here (runsc not found (sandbox.runscPath='/nonexistent/runsc'))", e.Message);
    }

    [Fact]
    public void Bad_options_name_the_field_and_the_value()
    {
        var e1 = Assert.Throws<ArgumentException>(() => new SandboxOptions(Runtime: "docker").Validate());
        Assert.Equal("sandbox.runtime: must be gvisor or process, got 'docker'", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => new SandboxOptions(Limits: new SandboxLimits(CellTimeoutSeconds: 10, EpisodeTimeoutSeconds: 5)).Validate());
        Assert.Equal("sandbox.limits.episodeTimeoutSeconds: must be >= cellTimeoutSeconds (10), got 5", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => new SandboxOptions(Limits: new SandboxLimits(MemoryMiB: 8)).Validate());
        Assert.Equal("sandbox.limits.memoryMiB: must be between 32 and 65536, got 8", e3.Message);
    }

    [Fact]
    public async Task The_episode_limit_stops_the_sandbox_for_good()
    {
        // The first cell (2.5 s) fits its 6 s cell limit with room for a loaded box (a 3 s limit failed under load);
        // the second reaches the episode's 7 s before its own cell limit (2.5 + 6 > 7).
        await using var h = new SandboxHarness("process", SandboxHarness.DefaultLimits with { CellTimeoutSeconds = 6, EpisodeTimeoutSeconds = 7 });
        await using var sb = await h.StartAsync();
        Assert.True((await sb.ExecuteAsync("import time; time.sleep(2.5)")).Ok);
        var r = await sb.ExecuteAsync("time.sleep(3600)");
        Assert.True(r.TimedOut);
        Assert.False(r.Restarted);
        Assert.StartsWith("TimeoutError: the episode exceeded its 7 s time limit (sandbox.limits.episodeTimeoutSeconds)", r.Error);
        var after = await sb.ExecuteAsync("1 + 1");
        Assert.Equal(r.Error, after.Error);
    }
}
