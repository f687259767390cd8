using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;

namespace AgentOps.Operator.Tests.Reconcile;

/// <summary>The TrainingRun controller end to end against a real kube-apiserver + controller-manager (real watch, real GC, real Redis).</summary>
public class TrainingRunReconcilerTests
{
    private static bool Phase(JsonObject o, string phase) => (string?)o["status"]?["phase"] == phase;

    [Fact]
    public async Task NewRun_CreatesItsChildren_WithOwnerReferences_AndBecomesRunning()
    {
        await using var h = await OperatorHarness.StartAsync();
        var run = await h.CreateRunAsync(h.RunYaml("r1"));
        var running = await h.WaitForAsync(ResourceType.TrainingRun, "r1", o => Phase(o, "Running"));

        foreach (var (type, name) in new[]
        {
            (ResourceType.Secret, "r1-ingest-token"), (ResourceType.ConfigMap, "r1-manifest"), (ResourceType.PersistentVolumeClaim, "r1-checkpoints"),
            (ResourceType.Deployment, "r1-gateway"), (ResourceType.Service, "r1-gateway"), (ResourceType.Deployment, "r1-trainer"),
            (ResourceType.Service, "r1-trainer"), (ResourceType.StatefulSet, "r1-redis"), (ResourceType.Service, "r1-redis"),
            (ResourceType.SandboxPool, "r1-executors"),
        })
        {
            var child = await h.GetAsync(type, name);
            Assert.True(child is not null, $"{type.Kind} {name} missing");
            var owner = child!.Metadata()["ownerReferences"]![0]!;
            Assert.Equal(run.Uid(), (string?)owner["uid"]);
            Assert.True((bool?)owner["controller"]);
        }
        // The pool's own children are owned by the pool.
        var pool = await h.GetAsync(ResourceType.SandboxPool, "r1-executors");
        var executors = await h.WaitForAsync(ResourceType.Deployment, "r1-executors-executor", _ => true);
        Assert.Equal(pool!.Uid(), (string?)executors.Metadata()["ownerReferences"]![0]!["uid"]);
        Assert.NotNull(await h.GetAsync(ResourceType.NetworkPolicy, "r1-executors-egress"));

        Assert.Equal(run.Generation(), (long?)running["status"]!["observedGeneration"]);
        var ready = ((JsonArray)running["status"]!["conditions"]!).Single(c => (string?)c!["type"] == "Ready")!;
        Assert.Equal("True", (string?)ready["status"]);
        Assert.Equal("ComponentsReady", (string?)ready["reason"]);
        Assert.Contains(Names.StreamFinalizer, running.Finalizers());

        // Events are written after the status (Pending, then Running).
        await OperatorHarness.WaitUntilAsync(async () =>
        {
            var events = await h.Client.ListAsync(ResourceType.Event, h.Ns, default);
            return events.Items.Any(e => (string?)e["reason"] == "Running" && (string?)e["regarding"]!["name"] == "r1");
        }, "a Running event");
    }

    [Fact]
    public async Task ConvergedRun_ASecondReconcileWritesNothing()
    {
        await using var h = await OperatorHarness.StartAsync();
        await h.CreateRunAsync(h.RunYaml("quiet"));
        await h.WaitForAsync(ResourceType.TrainingRun, "quiet", o => Phase(o, "Running"));
        await h.WaitForAsync(ResourceType.SandboxPool, "quiet-executors", o => (int?)o["status"]?["readyReplicas"] == 2);
        await h.WaitQuietAsync();

        var before = h.OperatorWrites;
        var statusWrites = h.Host.Context.StatusWrites.Count;
        var applierWrites = h.Host.Context.Applier.Writes;
        await new TrainingRunReconciler(h.Host.Context).ReconcileAsync(new ObjectKey(h.Ns, "quiet"), default);
        await new SandboxPoolReconciler(h.Host.Context).ReconcileAsync(new ObjectKey(h.Ns, "quiet-executors"), default);
        Assert.Equal(before, h.OperatorWrites);
        Assert.Equal(statusWrites, h.Host.Context.StatusWrites.Count);
        Assert.Equal(applierWrites, h.Host.Context.Applier.Writes);
    }

    [Fact]
    public async Task DriftInAChild_IsCorrected()
    {
        await using var h = await OperatorHarness.StartAsync();
        await h.CreateRunAsync(h.RunYaml("drift"));
        await h.WaitForAsync(ResourceType.TrainingRun, "drift", o => Phase(o, "Running"));
        // Someone edits the trainer's image by hand; the operator puts its own value back.
        await h.Client.MergePatchAsync(ResourceType.Deployment, h.Ns, "drift-trainer", JsonNode.Parse("""
            {"spec":{"template":{"spec":{"containers":[{"name":"trainer","image":"evil:latest"}]}}}}
            """)!.AsObject(), default);
        await h.WaitForAsync(ResourceType.Deployment, "drift-trainer",
            d => (string?)d["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] == new ReconcileOptions().TrainerImage);
    }

    [Fact]
    public async Task InvalidSpec_IsRejectedByTheRealApiServer_NamingEachField()
    {
        await using var h = await OperatorHarness.StartAsync();
        var e = await Assert.ThrowsAsync<KubeApiException>(() =>
            h.CreateRunAsync(h.RunYaml("bad", "  algorithm: { groupSize: 1 }").Replace("name: arithmetic", "name: foo")));
        Assert.Equal("Invalid", e.Reason);
        Assert.Contains("spec.algorithm.groupSize: Invalid value: 1", e.ApiMessage);
        Assert.Contains("spec.environment.name: Unsupported value: \"foo\"", e.ApiMessage);
        Assert.Null(await h.GetAsync(ResourceType.TrainingRun, "bad"));
    }

    [Fact]
    public async Task Progress_IsReadFromTheTrainerStatusEndpoint_UntilSucceeded()
    {
        await using var h = await OperatorHarness.StartAsync();
        h.Trainers.Set(h.Ns, "prog", """{"phase":"rl","step":37,"totalSteps":100,"policyVersion":37,"meanReward":0.625,"successRate":0.5,"trajectoriesIngested":2368,"tokensPerSecond":5000,"trajectoriesPerSecond":12}""");
        await h.CreateRunAsync(h.RunYaml("prog"));
        // Progress is copied while the run may still be Pending (its children not yet ready): wait for both.
        var running = await h.WaitForAsync(ResourceType.TrainingRun, "prog", o => (long?)o["status"]?["step"] == 37 && Phase(o, "Running"));
        Assert.Equal(0.625, (double?)running["status"]!["meanReward"]);
        Assert.Equal(2368, (long?)running["status"]!["trajectoriesIngested"]);

        h.Trainers.Set(h.Ns, "prog", """{"phase":"done","step":100,"totalSteps":100,"policyVersion":100,"meanReward":0.9,"successRate":0.875,"trajectoriesIngested":6400,"tokensPerSecond":0,"trajectoriesPerSecond":0}""");
        var done = await h.WaitForAsync(ResourceType.TrainingRun, "prog", o => Phase(o, "Succeeded"));
        Assert.NotNull(done["status"]!["completionTime"]);
        // A finished run stops its executors (the trainer stays to serve the final policy).
        await h.WaitForAsync(ResourceType.Deployment, "prog-executors-executor", d => (int?)d["spec"]!["replicas"] == 0);
    }

    [Fact]
    public async Task Suspend_ScalesExecutorsAndTrainerToZero_AndKeepsTheCheckpointVolume()
    {
        await using var h = await OperatorHarness.StartAsync();
        await h.CreateRunAsync(h.RunYaml("sus"));
        await h.WaitForAsync(ResourceType.TrainingRun, "sus", o => Phase(o, "Running"));
        await h.Client.MergePatchAsync(ResourceType.TrainingRun, h.Ns, "sus", JsonNode.Parse("""{"spec":{"suspend":true}}""")!.AsObject(), default);
        await h.WaitForAsync(ResourceType.TrainingRun, "sus", o => Phase(o, "Suspended"));
        await h.WaitForAsync(ResourceType.Deployment, "sus-executors-executor", d => (int?)d["spec"]!["replicas"] == 0);
        await h.WaitForAsync(ResourceType.Deployment, "sus-trainer", d => (int?)d["spec"]!["replicas"] == 0);
        Assert.NotNull(await h.GetAsync(ResourceType.PersistentVolumeClaim, "sus-checkpoints"));

        await h.Client.MergePatchAsync(ResourceType.TrainingRun, h.Ns, "sus", JsonNode.Parse("""{"spec":{"suspend":false}}""")!.AsObject(), default);
        await h.WaitForAsync(ResourceType.TrainingRun, "sus", o => Phase(o, "Running"));
        await h.WaitForAsync(ResourceType.Deployment, "sus-executors-executor", d => (int?)d["spec"]!["replicas"] == 2);
    }

    [Fact]
    public async Task DeletingARun_DeletesItsRedisStream_ThenAllItsChildren()
    {
        await using var h = await OperatorHarness.StartAsync(new HarnessOptions { WithRedis = true });
        var url = h.Redis!.Url;
        h.Redis.Cli("XADD", Names.Stream("gone"), "*", "trajectory", "x");
        h.Redis.Cli("XGROUP", "CREATE", Names.Stream("gone"), "trainer", "0");
        Assert.Equal("1", h.Redis.Cli("EXISTS", Names.Stream("gone")));
        await h.CreateRunAsync(h.RunYaml("gone", $"  queue: {{ redisUrl: \"{url}\" }}"));
        await h.WaitForAsync(ResourceType.TrainingRun, "gone", o => Phase(o, "Running"));
        Assert.Null(await h.GetAsync(ResourceType.StatefulSet, "gone-redis")); // an external Redis: none made

        await h.Client.DeleteAsync(ResourceType.TrainingRun, h.Ns, "gone", PropagationPolicy.Background, default);
        await OperatorHarness.WaitUntilAsync(async () => await h.GetAsync(ResourceType.TrainingRun, "gone") is null, "run deleted");
        Assert.Equal("0", h.Redis.Cli("EXISTS", Names.Stream("gone")));
        foreach (var type in new[] { ResourceType.Deployment, ResourceType.Service, ResourceType.ConfigMap, ResourceType.Secret,
                     ResourceType.SandboxPool, ResourceType.NetworkPolicy, ResourceType.PersistentVolumeClaim })
            await OperatorHarness.WaitUntilAsync(async () => (await h.Client.ListAsync(type, h.Ns, default, Names.ManagedSelector)).Items.Count == 0, $"{type.Plural} garbage-collected");
    }

    [Fact]
    public async Task ScaleSubresourceWrite_ReachesTheExecutorDeployment_AndTheRunDoesNotFightIt()
    {
        await using var h = await OperatorHarness.StartAsync();
        await h.CreateRunAsync(h.RunYaml("scaled"));
        await h.WaitForAsync(ResourceType.SandboxPool, "scaled-executors", o => (int?)o["status"]?["readyReplicas"] == 2);
        // kubectl scale sandboxpool/scaled-executors --replicas=5
        await h.Client.MergePatchAsync(ResourceType.SandboxPool, h.Ns, "scaled-executors",
            JsonNode.Parse("""{"spec":{"replicas":5}}""")!.AsObject(), default, "scale");
        await h.WaitForAsync(ResourceType.Deployment, "scaled-executors-executor", d => (int?)d["spec"]!["replicas"] == 5);
        var pool = await h.WaitForAsync(ResourceType.SandboxPool, "scaled-executors", o => (int?)o["status"]?["readyReplicas"] == 5);
        Assert.Equal(5, (int?)pool["status"]!["replicas"]);
        Assert.Equal("app.kubernetes.io/name=agentops-executor,app.kubernetes.io/instance=scaled-executors", (string?)pool["status"]!["selector"]);
        await h.WaitQuietAsync();
        Assert.Equal(5, (int?)(await h.GetAsync(ResourceType.SandboxPool, "scaled-executors"))!["spec"]!["replicas"]);
    }
}
