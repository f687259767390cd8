using System.Text.Json.Nodes;
using AgentOps.Protos.Api;

namespace AgentOps.Operator.Reconcile;

/// <summary>What the status computer sees of a run's world.</summary>
public sealed record TrainingRunObservation
{
    public required long Generation { get; init; }
    public required TrainingRunStatus? Previous { get; init; }
    public TrainingRun? Run { get; init; }
    public IReadOnlyList<ManifestError> SpecErrors { get; init; } = [];
    public JsonObject? Trainer { get; init; }
    public JsonObject? Gateway { get; init; }
    public JsonObject? Redis { get; init; }
    public JsonObject? Pool { get; init; }
    public bool NeedsRedis { get; init; }
    public string PoolName { get; init; } = "";
    public TrainerStatusReport? Progress { get; init; }
}

/// <summary>
/// Phase and conditions of a TrainingRun from what was observed: Invalid (a spec error, named in the
/// SpecValid condition), Pending (children not ready; the Ready condition says which), Running, Suspended,
/// Succeeded / Failed (from the trainer's /status; terminal). Pure: the same observation gives the same status.
/// </summary>
public static class TrainingRunStatusComputer
{
    public static TrainingRunStatus Compute(TrainingRunObservation o, string now)
    {
        var prev = o.Previous ?? new TrainingRunStatus();
        var conditions = prev.Conditions ?? [];
        var status = prev with { ObservedGeneration = o.Generation };

        if (o.SpecErrors.Count > 0 || o.Run is null)
        {
            conditions = Conditions.Set(conditions, new Condition
            {
                Type = "SpecValid", Status = Conditions.False, Reason = "InvalidSpec", ObservedGeneration = o.Generation,
                Message = string.Join("; ", o.SpecErrors.Select(e => e.ToString())),
            }, now);
            conditions = Conditions.Set(conditions, new Condition
            {
                Type = "Ready", Status = Conditions.False, Reason = "InvalidSpec", ObservedGeneration = o.Generation,
                Message = "the spec is invalid; see the SpecValid condition",
            }, now);
            return status with { Phase = "Invalid", Conditions = conditions };
        }

        conditions = Conditions.Set(conditions, new Condition
        {
            Type = "SpecValid", Status = Conditions.True, Reason = "Valid", ObservedGeneration = o.Generation, Message = "the spec is valid",
        }, now);

        var waiting = new List<string>();
        Check(o.Trainer, "trainer Deployment", Names.Trainer(o.Run.Metadata.Name));
        Check(o.Gateway, "gateway Deployment", Names.Gateway(o.Run.Metadata.Name));
        if (o.NeedsRedis) Check(o.Redis, "Redis StatefulSet", Names.Redis(o.Run.Metadata.Name));
        CheckPool();

        var p = o.Progress;
        if (p is not null)
            status = status with
            {
                Step = p.Step, TotalSteps = p.TotalSteps, PolicyVersion = p.PolicyVersion,
                MeanReward = Math.Round(p.MeanReward, 6), SuccessRate = Math.Round(p.SuccessRate, 6),
                TrajectoriesIngested = p.TrajectoriesIngested,
            };
        status = status with { TotalSteps = status.TotalSteps ?? o.Run.Spec.Algorithm.Steps };

        var terminal = prev.Phase is "Succeeded" or "Failed";
        string phase;
        if (terminal) phase = prev.Phase!;
        else if (p?.Phase == "done") phase = "Succeeded";
        else if (p?.Phase == "failed") phase = "Failed";
        else if (o.Run.Spec.Suspend) phase = "Suspended";
        else if (waiting.Count > 0) phase = "Pending";
        else phase = "Running";

        if (phase is "Succeeded" or "Failed" && !terminal) status = status with { CompletionTime = now };
        if (phase == "Running" && status.StartTime is null) status = status with { StartTime = now };

        conditions = Conditions.Set(conditions, waiting.Count == 0 || o.Run.Spec.Suspend
            ? new Condition { Type = "Ready", Status = o.Run.Spec.Suspend ? Conditions.False : Conditions.True,
                Reason = o.Run.Spec.Suspend ? "Suspended" : "ComponentsReady", ObservedGeneration = o.Generation,
                Message = o.Run.Spec.Suspend ? "suspended: executors and trainer scaled to zero, checkpoints kept" : "trainer, gateway, queue and executors are ready" }
            : new Condition { Type = "Ready", Status = Conditions.False, Reason = "WaitingForComponents", ObservedGeneration = o.Generation,
                Message = string.Join("; ", waiting) }, now);
        conditions = Conditions.Set(conditions, new Condition
        {
            Type = "Suspended", Status = o.Run.Spec.Suspend ? Conditions.True : Conditions.False,
            Reason = o.Run.Spec.Suspend ? "SuspendedBySpec" : "NotSuspended", ObservedGeneration = o.Generation,
            Message = o.Run.Spec.Suspend ? "spec.suspend is true" : "spec.suspend is false",
        }, now);
        if (phase is "Succeeded" or "Failed")
            conditions = Conditions.Set(conditions, new Condition
            {
                Type = "Complete", Status = Conditions.True, Reason = phase == "Succeeded" ? "TrainingFinished" : "TrainerFailed",
                ObservedGeneration = o.Generation,
                Message = phase == "Succeeded" ? $"trained {status.Step} of {status.TotalSteps} steps" : "the trainer reported phase \"failed\"",
            }, now);
        return status with { Phase = phase, Conditions = conditions };

        // The executors count too (issue 20, bug 3: a run said Ready while its executors were 0/5): the pool's
        // readyReplicas against its spec, with the pool's own Ready message when it says why (a refused pod, ...).
        void CheckPool()
        {
            if (o.Pool is null) { waiting.Add($"SandboxPool {o.PoolName}: not found"); return; }
            var want = (int?)o.Pool["spec"]?["replicas"] ?? 0;
            var ready = (int?)o.Pool["status"]?["readyReplicas"] ?? 0;
            if (want == 0 || ready >= want) return;
            var why = (o.Pool["status"]?["conditions"] as JsonArray)?.FirstOrDefault(c => (string?)c?["type"] == "Ready" && (string?)c?["status"] == "False");
            var reason = (string?)why?["reason"] is { Length: > 0 } r and not "WaitingForReplicas" ? $" ({r}: {(string?)why!["message"]})" : "";
            waiting.Add($"SandboxPool {o.PoolName}: {ready}/{want} executors ready{reason}");
        }

        void Check(JsonObject? workload, string what, string name)
        {
            if (workload is null) { waiting.Add($"{what} {name}: not created yet"); return; }
            var want = (int?)workload["spec"]?["replicas"] ?? 1;
            var ready = (int?)workload["status"]?["readyReplicas"] ?? 0;
            if (want > 0 && ready < want) waiting.Add($"{what} {name}: {ready}/{want} ready");
        }
    }
}
