using System.Net;
using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using AgentOps.Testing.Kube;

namespace AgentOps.Operator.Tests.Kube;

/// <summary>The real REST client against the fake API server's real HTTP endpoints.</summary>
public sealed class KubeClientTests : IAsyncLifetime
{
    private FakeKubeApiServer _server = null!;
    private KubeClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubeApiServer.StartAsync(new FakeKubeOptions { SimulateWorkloads = false });
        _client = new KubeClient(new KubeConnection { Server = _server.Url });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private static JsonObject Run(string name, int groupSize = 8) => new()
    {
        ["apiVersion"] = "agentops.dev/v1alpha1",
        ["kind"] = "TrainingRun",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "ns1" },
        ["spec"] = new JsonObject { ["environment"] = new JsonObject { ["name"] = "arithmetic" }, ["algorithm"] = new JsonObject { ["groupSize"] = groupSize } },
        ["status"] = new JsonObject { ["phase"] = "ignored-on-create" },
    };

    [Fact]
    public async Task Create_Get_List_FillResourceVersionUidAndGeneration()
    {
        var created = await _client.CreateAsync(ResourceType.TrainingRun, Run("a"), default);
        Assert.NotEmpty(created.Uid());
        Assert.Equal(1, created.Generation());
        Assert.Null(created["status"]);
        var got = await _client.GetAsync(ResourceType.TrainingRun, "ns1", "a", default);
        Assert.Equal(created.ResourceVersion(), got!.ResourceVersion());
        var list = await _client.ListAsync(ResourceType.TrainingRun, null, default);
        Assert.Single(list.Items);
        Assert.Equal("TrainingRun", (string?)list.Items[0]["kind"]);
        Assert.Null(await _client.GetAsync(ResourceType.TrainingRun, "ns1", "missing", default));
    }

    [Fact]
    public async Task Replace_WithStaleResourceVersion_Is409Conflict()
    {
        var created = await _client.CreateAsync(ResourceType.TrainingRun, Run("a"), default);
        var first = (JsonObject)created.DeepClone();
        first["spec"]!["algorithm"]!["groupSize"] = 4;
        var updated = await _client.ReplaceAsync(ResourceType.TrainingRun, first, default);
        Assert.Equal(2, updated.Generation());
        var stale = (JsonObject)created.DeepClone();
        stale["spec"]!["algorithm"]!["groupSize"] = 16;
        var e = await Assert.ThrowsAsync<KubeApiException>(() => _client.ReplaceAsync(ResourceType.TrainingRun, stale, default));
        Assert.Equal(HttpStatusCode.Conflict, e.StatusCode);
        Assert.Contains("the object has been modified", e.Message);
    }

    [Fact]
    public async Task StatusSubresource_SeparatesSpecAndStatusWrites()
    {
        var created = await _client.CreateAsync(ResourceType.TrainingRun, Run("a"), default);
        var withStatus = (JsonObject)created.DeepClone();
        withStatus["status"] = new JsonObject { ["phase"] = "Running" };
        withStatus["spec"]!["algorithm"]!["groupSize"] = 2; // ignored by a status write
        var afterStatus = await _client.ReplaceStatusAsync(ResourceType.TrainingRun, withStatus, default);
        Assert.Equal("Running", (string?)afterStatus["status"]!["phase"]);
        Assert.Equal(8, (int?)afterStatus["spec"]!["algorithm"]!["groupSize"]);
        Assert.Equal(1, afterStatus.Generation()); // status writes never bump generation

        var specWrite = (JsonObject)afterStatus.DeepClone();
        specWrite["status"] = new JsonObject { ["phase"] = "Hacked" }; // ignored by a spec write
        specWrite["spec"]!["algorithm"]!["groupSize"] = 4;
        var afterSpec = await _client.ReplaceAsync(ResourceType.TrainingRun, specWrite, default);
        Assert.Equal("Running", (string?)afterSpec["status"]!["phase"]);
        Assert.Equal(2, afterSpec.Generation());
    }

    [Fact]
    public async Task MetadataOnlyChange_DoesNotBumpGeneration()
    {
        await _client.CreateAsync(ResourceType.TrainingRun, Run("a"), default);
        var patched = await _client.MergePatchAsync(ResourceType.TrainingRun, "ns1", "a",
            new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["team"] = "rl" } } }, default);
        Assert.Equal("rl", (string?)patched.Metadata()["labels"]!["team"]);
        Assert.Equal(1, patched.Generation());
    }

    [Fact]
    public async Task ServerSideApply_IsIdempotentAndRemovesFieldsNoLongerApplied()
    {
        JsonObject Cm(params (string K, string V)[] data) => new()
        {
            ["metadata"] = new JsonObject { ["name"] = "cm", ["namespace"] = "ns1" },
            ["data"] = new JsonObject(data.Select(d => KeyValuePair.Create(d.K, (JsonNode?)d.V))),
        };
        var first = await _client.ApplyAsync(ResourceType.ConfigMap, Cm(("a", "1"), ("b", "2")), default);
        var again = await _client.ApplyAsync(ResourceType.ConfigMap, Cm(("a", "1"), ("b", "2")), default);
        Assert.Equal(first.ResourceVersion(), again.ResourceVersion()); // a no-op apply writes nothing
        var managed = (JsonArray)again.Metadata()["managedFields"]!;
        Assert.Equal("agentops", (string?)managed.Single()!["manager"]);
        Assert.Equal("Apply", (string?)managed.Single()!["operation"]);
        Assert.NotNull(managed.Single()!["fieldsV1"]!["f:data"]!["f:a"]);

        // Another manager adds a key; our next apply without "b" removes only our own field.
        await _client.MergePatchAsync(ResourceType.ConfigMap, "ns1", "cm", new JsonObject { ["data"] = new JsonObject { ["c"] = "3" } }, default);
        var third = await _client.ApplyAsync(ResourceType.ConfigMap, Cm(("a", "1")), default);
        Assert.Equal("""{"a":"1","c":"3"}""", third["data"]!.ToJsonString());
    }

    [Fact]
    public async Task ServerSideApply_ForceTakesOverAFieldOwnedByAnotherManager()
    {
        await _client.ApplyAsync(ResourceType.ConfigMap, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "cm", ["namespace"] = "ns1" },
            ["data"] = new JsonObject { ["a"] = "1" },
        }, default);
        await _client.MergePatchAsync(ResourceType.ConfigMap, "ns1", "cm", new JsonObject { ["data"] = new JsonObject { ["a"] = "edited" } }, default);
        var back = await _client.ApplyAsync(ResourceType.ConfigMap, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "cm", ["namespace"] = "ns1" },
            ["data"] = new JsonObject { ["a"] = "1" },
        }, default);
        Assert.Equal("1", (string?)back["data"]!["a"]);
    }

    [Fact]
    public async Task Delete_Background_GarbageCollectsOwnedChildren_Orphan_KeepsThem()
    {
        var owner = await _client.CreateAsync(ResourceType.TrainingRun, Run("owner"), default);
        var orphanOwner = await _client.CreateAsync(ResourceType.TrainingRun, Run("other"), default);
        foreach (var (name, o) in new[] { ("child", owner), ("kept", orphanOwner) })
            await _client.ApplyAsync(ResourceType.ConfigMap, new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "ns1", ["ownerReferences"] = new JsonArray(KubeObjects.ControllerReference(o)) },
            }, default);
        Assert.True(await _client.DeleteAsync(ResourceType.TrainingRun, "ns1", "owner", PropagationPolicy.Background, default));
        Assert.True(await _client.DeleteAsync(ResourceType.TrainingRun, "ns1", "other", PropagationPolicy.Orphan, default));
        await Eventually(async () => await _client.GetAsync(ResourceType.ConfigMap, "ns1", "child", default) is null);
        var kept = await _client.GetAsync(ResourceType.ConfigMap, "ns1", "kept", default);
        Assert.NotNull(kept);
        Assert.Empty((JsonArray)kept!.Metadata()["ownerReferences"]!);
        Assert.False(await _client.DeleteAsync(ResourceType.TrainingRun, "ns1", "owner", PropagationPolicy.Background, default));
    }

    [Fact]
    public async Task Delete_WithFinalizer_SetsDeletionTimestampUntilTheFinalizerIsRemoved()
    {
        var run = Run("a");
        run["metadata"]!["finalizers"] = new JsonArray("agentops.dev/cleanup");
        await _client.CreateAsync(ResourceType.TrainingRun, run, default);
        await _client.DeleteAsync(ResourceType.TrainingRun, "ns1", "a", PropagationPolicy.Background, default);
        var deleting = await _client.GetAsync(ResourceType.TrainingRun, "ns1", "a", default);
        Assert.True(deleting!.IsDeleting());
        await _client.MergePatchAsync(ResourceType.TrainingRun, "ns1", "a", new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = null } }, default);
        Assert.Null(await _client.GetAsync(ResourceType.TrainingRun, "ns1", "a", default));
    }

    [Fact]
    public async Task ScaleSubresource_WritesSpecReplicas()
    {
        await _client.CreateAsync(ResourceType.SandboxPool, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "pool", ["namespace"] = "ns1" },
            ["spec"] = new JsonObject { ["replicas"] = 2 },
        }, default);
        var scale = await _client.GetAsync(ResourceType.SandboxPool, "ns1", "pool", default, "scale");
        Assert.Equal("Scale", (string?)scale!["kind"]);
        Assert.Equal(2, (int?)scale["spec"]!["replicas"]);
        await _client.MergePatchAsync(ResourceType.SandboxPool, "ns1", "pool", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 7 } }, default, "scale");
        var pool = await _client.GetAsync(ResourceType.SandboxPool, "ns1", "pool", default);
        Assert.Equal(7, (int?)pool!["spec"]!["replicas"]);
        Assert.Equal(2, pool.Generation());
    }

    [Fact]
    public async Task Watch_StreamsChangesFromAResourceVersion_AndAnswers410WhenCompacted()
    {
        var created = await _client.CreateAsync(ResourceType.TrainingRun, Run("a"), default);
        var list = await _client.ListAsync(ResourceType.TrainingRun, "ns1", default);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<WatchEvent>();
        var watch = Task.Run(async () =>
        {
            await foreach (var e in _client.WatchAsync(ResourceType.TrainingRun, "ns1", list.ResourceVersion, 5, cts.Token))
            {
                if (e.Type == WatchEvent.Bookmark) continue;
                events.Add(e);
                if (events.Count == 2) break;
            }
        });
        await _client.MergePatchAsync(ResourceType.TrainingRun, "ns1", "a", new JsonObject { ["spec"] = new JsonObject { ["suspend"] = true } }, default);
        await _client.DeleteAsync(ResourceType.TrainingRun, "ns1", "a", PropagationPolicy.Background, default);
        await watch;
        Assert.Equal([WatchEvent.Modified, WatchEvent.Deleted], events.Select(e => e.Type));

        _server.Store.Compact();
        await foreach (var e in _client.WatchAsync(ResourceType.TrainingRun, "ns1", created.ResourceVersion(), 5, cts.Token))
        {
            Assert.Equal(WatchEvent.Error, e.Type);
            Assert.Equal(410, (int?)e.Object["code"]);
            Assert.Equal("Expired", (string?)e.Object["reason"]);
            break;
        }
    }

    internal static async Task Eventually(Func<Task<bool>> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"condition not met within {seconds} s");
            await Task.Delay(20);
        }
    }
}
