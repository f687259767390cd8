using System.Text.Json.Nodes;
using AgentOps.Protos.Api;

namespace AgentOps.Operator.Reconcile;

/// <summary>SandboxPool status from its executor Deployment: replicas, readyReplicas, the pod selector (scale subresource), Ready.</summary>
public static class SandboxPoolStatusComputer
{
    public static SandboxPoolStatus Compute(string poolName, long generation, SandboxPoolStatus? previous, SandboxPool? pool,
        IReadOnlyList<ManifestError> specErrors, JsonObject? deployment, string now)
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
        var replicas = (int?)deployment?["status"]?["replicas"] ?? 0;
        var ready = (int?)deployment?["status"]?["readyReplicas"] ?? 0;
        var want = pool.Spec.Replicas;
        var condition = ready >= want && deployment is not null
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
