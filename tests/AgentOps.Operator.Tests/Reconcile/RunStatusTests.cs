using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using AgentOps.Testing.Kube;

namespace AgentOps.Operator.Tests.Reconcile;

/// <summary>Issue 20, bugs 3 and 9: what a run and a pool say about executors, against the real API server and controller-manager.</summary>
public class RunStatusTests
{
    private static bool IsExecutor(k8s.Models.V1Pod pod) => pod.Metadata.Labels?.TryGetValue("app.kubernetes.io/component", out var c) == true && c == "executor";

    private static JsonObject? Ready(JsonObject o) =>
        (o["status"]?["conditions"] as JsonArray)?.FirstOrDefault(c => (string?)c?["type"] == "Ready") as JsonObject;

    [Fact]
    public async Task A_run_whose_executors_are_not_ready_stays_Pending_and_names_the_pool()
    {
        await using var h = await OperatorHarness.StartAsync(new HarnessOptions { PodsReady = pod => !IsExecutor(pod) }, "exec");
        await h.CreateRunAsync(h.RunYaml("r"));
        await h.WaitForAsync(ResourceType.Deployment, "r-trainer", d => (int?)d["status"]?["readyReplicas"] == 1);
        await h.WaitForAsync(ResourceType.Deployment, "r-gateway", d => (int?)d["status"]?["readyReplicas"] == 1);
        await h.WaitForAsync(ResourceType.StatefulSet, "r-redis", d => (int?)d["status"]?["readyReplicas"] == 1);
        await h.WaitQuietAsync();
        var run = await h.WaitForAsync(ResourceType.TrainingRun, "r", o => (string?)o["status"]?["phase"] is not null);
        Assert.Equal("Pending", (string?)run["status"]!["phase"]);
        Assert.Equal("False", (string?)Ready(run)!["status"]);
        Assert.Equal("SandboxPool r-executors: 0/2 executors ready", (string?)Ready(run)!["message"]);

        // The executors come up: now, and only now, the run is Running.
        await PodReadiness.MarkReadyAsync(h.Client.Api, h.Ns);
        run = await h.WaitForAsync(ResourceType.TrainingRun, "r", o => (string?)o["status"]?["phase"] == "Running");
        Assert.Equal("True", (string?)Ready(run)!["status"]);
    }

    [Fact]
    public async Task Executor_pods_refused_for_a_missing_RuntimeClass_show_the_refusal_in_the_pool_and_the_run()
    {
        await using var h = await OperatorHarness.StartAsync(prefix: "rtc");
        await h.CreateAsync(ResourceType.SandboxPool, $$"""
            apiVersion: agentops.dev/v1alpha1
            kind: SandboxPool
            metadata: { name: refused, namespace: {{h.Ns}} }
            spec: { trainingRun: rc, replicas: 2, runtimeClassName: no-such-class }
            """);
        await h.CreateRunAsync(h.RunYaml("rc", "  sandbox: { poolRef: refused }"));
        var pool = await h.WaitForAsync(ResourceType.SandboxPool, "refused", o => (string?)Ready(o)?["reason"] == "ReplicaFailure");
        Assert.Contains("RuntimeClass \"no-such-class\" not found", (string?)Ready(pool)!["message"]);
        Assert.StartsWith("0/2 executor pods ready; FailedCreate: ", (string?)Ready(pool)!["message"]);
        var run = await h.WaitForAsync(ResourceType.TrainingRun, "rc", o => ((string?)Ready(o)?["message"])?.Contains("ReplicaFailure") == true);
        Assert.Equal("Pending", (string?)run["status"]!["phase"]);
        Assert.Contains(await h.EventsAsync(), e => e.Reason == "ReplicaFailure" && e.Type == "Warning" && e.Regarding.Name == "refused");
    }
}
