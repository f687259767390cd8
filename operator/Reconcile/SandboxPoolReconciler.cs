using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Protos.Api;

namespace AgentOps.Operator.Reconcile;

/// <summary>
/// SandboxPool → executor Deployment + egress NetworkPolicy, status from the Deployment (level-triggered). The run a
/// pool serves is spec.trainingRun, or for a standalone pool (trainingRun "") the one TrainingRun of its namespace whose
/// spec.sandbox.poolRef names it; without one the pool says so in its Ready condition and makes nothing (issue 20,
/// bug 4). A child the API server refuses as invalid (422) is reported the same way instead of retried hot.
/// </summary>
public sealed class SandboxPoolReconciler(ReconcileContext ctx) : IReconciler
{
    public string Kind => ApiConstants.SandboxPoolKind;

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken ct)
    {
        var current = ctx.View.Get(ResourceType.SandboxPool, key.Namespace, key.Name);
        if (current is null || current.IsDeleting()) return ReconcileResult.Done;
        var parsed = Manifests.ParseSandboxPool(current.ToJsonString(), rejectUnknownFields: false);
        var previous = current["status"] is JsonObject s ? s.Deserialize<SandboxPoolStatus>(Manifests.Json) : null;

        Condition? blocked = null;
        if (parsed.IsValid)
        {
            var (run, problem) = ServedRun(key, parsed.Value!);
            blocked = problem;
            if (run is not null)
                try
                {
                    foreach (var (type, child) in SandboxPoolChildren.Build(current, parsed.Value!, run, ctx.Options))
                        await ctx.Applier.EnsureAsync(type, child, ct);
                }
                catch (KubeApiException e) when (e.IsInvalid)
                {
                    blocked = Blocked(current, "InvalidChild", $"the API server refused a child of this pool: {e.ApiMessage}");
                }
        }

        var deployment = ctx.View.Get(ResourceType.Deployment, key.Namespace, Names.ExecutorDeployment(key.Name));
        var status = SandboxPoolStatusComputer.Compute(key.Name, current.Generation(), previous, parsed.Value, parsed.Errors, deployment, blocked, ctx.Now());
        if (await StatusWriter.WriteIfChangedAsync(ctx, ResourceType.SandboxPool, current, status, ct))
        {
            var was = Conditions.Find(previous?.Conditions, "Ready");
            var now = Conditions.Find(status.Conditions, "Ready")!;
            if (was?.Reason != now.Reason)
                await ctx.Events.RecordAsync(current, now.Reason is "AllReplicasReady" or "WaitingForReplicas" ? "Normal" : "Warning",
                    now.Reason, "Reconcile", now.Message, ct);
        }
        return ReconcileResult.Done;
    }

    /// <summary>The run whose trainer, gateway and token the executors use, or why there is none.</summary>
    private (string? Run, Condition? Problem) ServedRun(ObjectKey key, SandboxPool pool)
    {
        if (pool.Spec.TrainingRun.Length > 0) return (pool.Spec.TrainingRun, null);
        var referencing = ctx.View.List(ResourceType.TrainingRun)
            .Where(r => r.Namespace() == key.Namespace && (string?)r["spec"]?["sandbox"]?["poolRef"] == key.Name && !r.IsDeleting())
            .Select(r => r.Name()).Order(StringComparer.Ordinal).ToList();
        return referencing.Count switch
        {
            1 => (referencing[0], null),
            0 => (null, new Condition
            {
                Type = "Ready", Status = Conditions.False, Reason = "NoTrainingRun",
                Message = $"spec.trainingRun is empty and no TrainingRun in namespace {key.Namespace} has spec.sandbox.poolRef: {key.Name}; " +
                          "executors need a run's trainer, gateway and ingest token: set spec.trainingRun, or reference this pool from a run",
            }),
            _ => (null, new Condition
            {
                Type = "Ready", Status = Conditions.False, Reason = "AmbiguousTrainingRun",
                Message = $"spec.trainingRun is empty and {referencing.Count} TrainingRuns reference this pool ({string.Join(", ", referencing)}); " +
                          "a pool serves one run: set spec.trainingRun",
            }),
        };
    }

    private static Condition Blocked(JsonObject pool, string reason, string message) => new()
    {
        Type = "Ready", Status = Conditions.False, Reason = reason, ObservedGeneration = pool.Generation(), Message = message,
    };
}
