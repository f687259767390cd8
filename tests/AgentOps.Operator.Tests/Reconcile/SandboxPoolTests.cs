using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;

namespace AgentOps.Operator.Tests.Reconcile;

/// <summary>Issue 20, bugs 4 and 5: standalone pools and long run names, against the real API server.</summary>
public class SandboxPoolTests
{
    private static JsonObject? Ready(JsonObject o) =>
        (o["status"]?["conditions"] as JsonArray)?.FirstOrDefault(c => (string?)c?["type"] == "Ready") as JsonObject;

    [Fact]
    public async Task A_standalone_pool_says_it_has_no_run_then_serves_the_run_that_references_it()
    {
        await using var h = await OperatorHarness.StartAsync(prefix: "lone");
        await h.CreateAsync(ResourceType.SandboxPool, $$"""
            apiVersion: agentops.dev/v1alpha1
            kind: SandboxPool
            metadata: { name: lonely, namespace: {{h.Ns}} }
            spec: { replicas: 2 }
            """);
        var pool = await h.WaitForAsync(ResourceType.SandboxPool, "lonely", o => Ready(o) is not null);
        Assert.Equal("NoTrainingRun", (string?)Ready(pool)!["reason"]);
        Assert.Contains("spec.sandbox.poolRef: lonely", (string?)Ready(pool)!["message"]);
        Assert.Null(await h.GetAsync(ResourceType.Deployment, "lonely-executor"));
        // Not retried hot: the pool waits for a change (before the fix: a 422 retried forever, no status).
        var reconciles = h.PoolReconciles;
        await Task.Delay(3000);
        Assert.True(h.PoolReconciles - reconciles <= 1, $"{h.PoolReconciles - reconciles} reconciles of an idle pool in 3 s");

        await h.CreateRunAsync(h.RunYaml("user", "  sandbox: { poolRef: lonely }"));
        var executors = await h.WaitForAsync(ResourceType.Deployment, "lonely-executor", _ => true);
        var env = executors["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray();
        Assert.Equal("user-ingest-token", (string?)env.Single(e => (string?)e!["name"] == "AGENTOPS_TOKEN")!["valueFrom"]!["secretKeyRef"]!["name"]);
        await h.WaitForAsync(ResourceType.SandboxPool, "lonely", o => (string?)Ready(o)?["reason"] == "AllReplicasReady");
        await h.WaitForAsync(ResourceType.TrainingRun, "user", o => (string?)o["status"]?["phase"] == "Running");
    }

    [Fact]
    public async Task A_run_with_a_40_character_name_gets_its_executors()
    {
        await using var h = await OperatorHarness.StartAsync(prefix: "long");
        var name = "a-run-name-of-exactly-forty-characters-x";
        Assert.Equal(40, name.Length);
        await h.CreateRunAsync(h.RunYaml(name));
        await h.WaitForAsync(ResourceType.Deployment, $"{name}-executors-executor", _ => true);
        var pool = await h.WaitForAsync(ResourceType.SandboxPool, $"{name}-executors", o => (string?)Ready(o)?["reason"] == "AllReplicasReady");
        Assert.Equal(2, (int?)pool["status"]!["readyReplicas"]);
        await h.WaitForAsync(ResourceType.TrainingRun, name, o => (string?)o["status"]?["phase"] == "Running");
    }
}
