using System.Text.Json.Nodes;
using AgentOps.Protos.Api;

namespace AgentOps.Operator.Reconcile;

/// <summary>SandboxPool status from its executor Deployment: replicas, readyReplicas, the pod selector (scale subresource), Ready (with the ReplicaSet's failure, or why nothing was made).</summary>
public static class SandboxPoolStatusComputer
{
    public static SandboxPoolStatus Compute(string poolName, long generation, SandboxPoolStatus? previous, SandboxPool? pool,
        IReadOnlyList<ManifestError> specErrors, JsonObject? deployment, Condition? blocked, string now)
    {
        var prev = previous ?? new SandboxPoolStatus();
        var selector = SandboxPoolChildren.SelectorString(poolName);
        if (pool is null || specErrors.Count > 0)
            return prev with
            {
                ObservedGeneration = generation, Selector = selector,
                Conditions = Conditions.Set(prev.Conditions, new Condition
                {
                    Type = "Ready", Status = Conditions.False, Reason = "InvalidSpec", ObservedGeneration = generation,
                    Message = string.Join("; ", specErrors.Select(e => e.ToString())),
                }, now),
            };
        if (blocked is not null)
            return prev with
            {
                ObservedGeneration = generation, Selector = selector,
                Conditions = Conditions.Set(prev.Conditions, blocked with { ObservedGeneration = generation }, now),
            };
        var replicas = (int?)deployment?["status"]?["replicas"] ?? 0;
        var ready = (int?)deployment?["status"]?["readyReplicas"] ?? 0;
        var want = pool.Spec.Replicas;
        // The Deployment controller copies its ReplicaSet's pod-creation failure (a missing RuntimeClass, a quota, an
        // admission webhook) into a ReplicaFailure condition: say it, not just "0/2 ready" (issue 20, bug 9).
        var failure = (deployment?["status"]?["conditions"] as JsonArray)?
            .FirstOrDefault(c => (string?)c?["type"] == "ReplicaFailure" && (string?)c?["status"] == "True");
        var condition = failure is not null && ready < want
            ? new Condition { Type = "Ready", Status = Conditions.False, Reason = "ReplicaFailure", ObservedGeneration = generation,
                Message = $"{ready}/{want} executor pods ready; {(string?)failure["reason"]}: {(string?)failure["message"]}" }
            : ready >= want && deployment is not null
            ? new Condition { Type = "Ready", Status = Conditions.True, Reason = "AllReplicasReady", ObservedGeneration = generation,
                Message = $"{ready}/{want} executor pods ready" }
            : new Condition { Type = "Ready", Status = Conditions.False, Reason = "WaitingForReplicas", ObservedGeneration = generation,
                Message = deployment is null ? $"executor Deployment {Names.ExecutorDeployment(poolName)} not created yet" : $"{ready}/{want} executor pods ready" };
        return prev with
        {
            ObservedGeneration = generation, Replicas = replicas, ReadyReplicas = ready, Selector = selector,
            Conditions = Conditions.Set(prev.Conditions, condition, now),
        };
    }
}
