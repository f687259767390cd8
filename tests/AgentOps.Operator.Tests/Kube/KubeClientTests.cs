using System.Net;
using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;

namespace AgentOps.Operator.Tests.Kube;

/// <summary>Our seam over KubernetesClient against a real kube-apiserver v1.28 (+ controller-manager for garbage collection).</summary>
public sealed class KubeClientTests : IAsyncLifetime
{
    private KubeClient _client = null!;
    private string _ns = "";

    public async Task InitializeAsync()
    {
        _client = await RealCluster.AdminAsync();
        _ns = await RealCluster.NamespaceAsync("kc");
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        return Task.CompletedTask;
    }

    private JsonObject Run(string name, int groupSize = 8) => new()
    {
        ["apiVersion"] = "agentops.dev/v1alpha1",
        ["kind"] = "TrainingRun",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = _ns },
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
        var got = await _client.GetAsync(ResourceType.TrainingRun, _ns, "a", default);
        Assert.Equal(created.ResourceVersion(), got!.ResourceVersion());
        var list = await _client.ListAsync(ResourceType.TrainingRun, _ns, default);
        Assert.Single(list.Items);
        Assert.Equal("TrainingRun", (string?)list.Items[0]["kind"]);
        Assert.Null(await _client.GetAsync(ResourceType.TrainingRun, _ns, "missing", default));
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
        var patched = await _client.MergePatchAsync(ResourceType.TrainingRun, _ns, "a",
            new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["team"] = "rl" } } }, default);
        Assert.Equal("rl", (string?)patched.Metadata()["labels"]!["team"]);
        Assert.Equal(1, patched.Generation());
    }

    [Fact]
    public async Task ServerSideApply_IsIdempotentAndRemovesFieldsNoLongerApplied()
    {
        JsonObject Cm(params (string K, string V)[] data) => new()
        {
            ["metadata"] = new JsonObject { ["name"] = "cm", ["namespace"] = _ns },
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
        await _client.MergePatchAsync(ResourceType.ConfigMap, _ns, "cm", new JsonObject { ["data"] = new JsonObject { ["c"] = "3" } }, default);
        var third = await _client.ApplyAsync(ResourceType.ConfigMap, Cm(("a", "1")), default);
        Assert.Equal("""{"a":"1","c":"3"}""", third["data"]!.ToJsonString());
    }

    [Fact]
    public async Task ServerSideApply_ForceTakesOverAFieldOwnedByAnotherManager()
    {
        await _client.ApplyAsync(ResourceType.ConfigMap, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "cm", ["namespace"] = _ns },
            ["data"] = new JsonObject { ["a"] = "1" },
        }, default);
        await _client.MergePatchAsync(ResourceType.ConfigMap, _ns, "cm", new JsonObject { ["data"] = new JsonObject { ["a"] = "edited" } }, default);
        var back = await _client.ApplyAsync(ResourceType.ConfigMap, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "cm", ["namespace"] = _ns },
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
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = _ns, ["ownerReferences"] = new JsonArray(KubeObjects.ControllerReference(o)) },
            }, default);
        Assert.True(await _client.DeleteAsync(ResourceType.TrainingRun, _ns, "owner", PropagationPolicy.Background, default));
        Assert.True(await _client.DeleteAsync(ResourceType.TrainingRun, _ns, "other", PropagationPolicy.Orphan, default));
        await Eventually(async () => await _client.GetAsync(ResourceType.ConfigMap, _ns, "child", default) is null);
        var kept = await _client.GetAsync(ResourceType.ConfigMap, _ns, "kept", default);
        Assert.NotNull(kept);
        Assert.Empty(kept!.Metadata()["ownerReferences"] as JsonArray ?? []);
        Assert.False(await _client.DeleteAsync(ResourceType.TrainingRun, _ns, "owner", PropagationPolicy.Background, default));
    }

    [Fact]
    public async Task Delete_WithFinalizer_SetsDeletionTimestampUntilTheFinalizerIsRemoved()
    {
        var run = Run("a");
        run["metadata"]!["finalizers"] = new JsonArray("agentops.dev/cleanup");
        await _client.CreateAsync(ResourceType.TrainingRun, run, default);
        await _client.DeleteAsync(ResourceType.TrainingRun, _ns, "a", PropagationPolicy.Background, default);
        var deleting = await _client.GetAsync(ResourceType.TrainingRun, _ns, "a", default);
        Assert.True(deleting!.IsDeleting());
        await _client.MergePatchAsync(ResourceType.TrainingRun, _ns, "a", new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = null } }, default);
        Assert.Null(await _client.GetAsync(ResourceType.TrainingRun, _ns, "a", default));
    }

    [Fact]
    public async Task ScaleSubresource_WritesSpecReplicas()
    {
        await _client.CreateAsync(ResourceType.SandboxPool, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "pool", ["namespace"] = _ns },
            ["spec"] = new JsonObject { ["replicas"] = 2 },
        }, default);
        var scale = await _client.GetAsync(ResourceType.SandboxPool, _ns, "pool", default, "scale");
        Assert.Equal("Scale", (string?)scale!["kind"]);
        Assert.Equal(2, (int?)scale["spec"]!["replicas"]);
        await _client.MergePatchAsync(ResourceType.SandboxPool, _ns, "pool", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 7 } }, default, "scale");
        var pool = await _client.GetAsync(ResourceType.SandboxPool, _ns, "pool", default);
        Assert.Equal(7, (int?)pool!["spec"]!["replicas"]);
        Assert.Equal(2, pool.Generation());
    }

    [Fact]
    public async Task Watch_StreamsChangesFromAResourceVersion_AndAnswers410WhenTooOld()
    {
        var created = await _client.CreateAsync(ResourceType.TrainingRun, Run("a"), default);
        var list = await _client.ListAsync(ResourceType.TrainingRun, _ns, default);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<WatchEvent>();
        var watch = Task.Run(async () =>
        {
            await foreach (var e in _client.WatchAsync(ResourceType.TrainingRun, _ns, list.ResourceVersion, 5, cts.Token))
            {
                if (e.Type == WatchEvent.Bookmark) continue;
                events.Add(e);
                if (events.Count == 2) break;
            }
        });
        await _client.MergePatchAsync(ResourceType.TrainingRun, _ns, "a", new JsonObject { ["spec"] = new JsonObject { ["suspend"] = true } }, default);
        await _client.DeleteAsync(ResourceType.TrainingRun, _ns, "a", PropagationPolicy.Background, default);
        await watch;
        Assert.Equal([WatchEvent.Modified, WatchEvent.Deleted], events.Select(e => e.Type));

        // A resourceVersion older than the API server's watch cache window: 410 Expired (the reflector relists).
        var gone = await Assert.ThrowsAsync<KubeApiException>(async () =>
        {
            await foreach (var _ in _client.WatchAsync(ResourceType.TrainingRun, _ns, "1", 5, cts.Token)) { }
        });
        Assert.True(gone.IsGone, gone.Message);
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
