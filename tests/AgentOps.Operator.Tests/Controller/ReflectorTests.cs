using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Testing.Kube;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Operator.Tests.Controller;

/// <summary>client-go reflector semantics against the fake API server, which can stall, break and compact on cue (injected faults a real one cannot do quickly): list+watch, relist on 410, nothing missed.</summary>
public class ReflectorTests
{
    private static JsonObject Cm(string name) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "ns" },
        ["data"] = new JsonObject { ["v"] = "1" },
    };

    [Theory]
    [InlineData(false)] // 200 then an ERROR event with reason Expired
    [InlineData(true)]  // HTTP 410 Gone
    public async Task WatchFromACompactedVersion_Relists_AndNoChangeIsMissed(bool goneAsHttpStatus)
    {
        await using var server = await FakeKubeApiServer.StartAsync(new FakeKubeOptions { GoneAsHttpStatus = goneAsHttpStatus });
        using var client = new KubeClient(server.Config());
        for (var i = 0; i < 3; i++) await client.CreateAsync(ResourceType.ConfigMap, Cm($"before-{i}"), default);

        var reflector = new Reflector(client, ResourceType.ConfigMap, null, null, TimeProvider.System, new Random(1), NullLogger.Instance);
        var seen = new ConcurrentQueue<(string Type, string Name)>();
        reflector.OnChange += (type, o) => seen.Enqueue((type, o.Name()));
        using var cts = new CancellationTokenSource();
        var run = reflector.RunAsync(cts.Token);
        await reflector.Synced.WaitAsync(TimeSpan.FromSeconds(30));
        await WaitFor(() => server.ActiveWatches == 1);

        // The connection stalls; meanwhile objects change and etcd compacts past the watcher's resourceVersion.
        server.PauseWatches();
        await client.CreateAsync(ResourceType.ConfigMap, Cm("during"), default);
        await client.DeleteAsync(ResourceType.ConfigMap, "ns", "before-0", PropagationPolicy.Background, default);
        await client.MergePatchAsync(ResourceType.ConfigMap, "ns", "before-1", new JsonObject { ["data"] = new JsonObject { ["v"] = "2" } }, default);
        server.Store.Compact();
        server.BreakWatches();
        server.ResumeWatches();

        await WaitFor(() => reflector.ListCount == 2 && reflector.Cache.Count == 3);
        Assert.Equal(["before-1", "before-2", "during"], reflector.Cache.List().Select(o => o.Name()).Order());
        Assert.Equal("2", (string?)reflector.Cache.Get(new ObjectKey("ns", "before-1"))!["data"]!["v"]);
        Assert.Contains((WatchEvent.Added, "during"), seen);
        Assert.Contains((WatchEvent.Deleted, "before-0"), seen);
        Assert.Contains((WatchEvent.Modified, "before-1"), seen);

        // And the new watch delivers later changes.
        await client.CreateAsync(ResourceType.ConfigMap, Cm("after"), default);
        await WaitFor(() => seen.Contains((WatchEvent.Added, "after")));
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task ServerClosingTheWatch_ResumesFromTheLastResourceVersion_WithoutRelisting()
    {
        await using var server = await FakeKubeApiServer.StartAsync(new FakeKubeOptions { BookmarkInterval = TimeSpan.FromMilliseconds(100) });
        using var client = new KubeClient(server.Config());
        var reflector = new Reflector(client, ResourceType.ConfigMap, "ns", null, TimeProvider.System, new Random(1), NullLogger.Instance);
        using var cts = new CancellationTokenSource();
        var run = reflector.RunAsync(cts.Token);
        await reflector.Synced.WaitAsync(TimeSpan.FromSeconds(30));
        await WaitFor(() => server.ActiveWatches == 1);
        await Task.Delay(300); // bookmarks flow
        server.BreakWatches();
        await client.CreateAsync(ResourceType.ConfigMap, Cm("x"), default);
        await WaitFor(() => reflector.Cache.Count == 1);
        Assert.Equal(1, reflector.ListCount);
        lock (server.RequestLog) Assert.Contains(server.RequestLog, r => r.Contains("allowWatchBookmarks=true") && r.Contains("timeoutSeconds="));
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public void WatchTimeout_IsRandomisedBetween5And10Minutes()
    {
        var reflector = new Reflector(null!, ResourceType.ConfigMap, null, null, TimeProvider.System, new Random(7), NullLogger.Instance);
        var values = Enumerable.Range(0, 200).Select(_ => reflector.WatchTimeoutSeconds()).ToList();
        Assert.All(values, v => Assert.InRange(v, 300, 600));
        Assert.True(values.Distinct().Count() > 50);
    }

    private static async Task WaitFor(Func<bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met");
            await Task.Delay(20);
        }
    }
}
