using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Protos.Api;

namespace AgentOps.Operator.Reconcile;

/// <summary>SandboxPool → executor Deployment + egress NetworkPolicy, status from the Deployment (level-triggered).</summary>
public sealed class SandboxPoolReconciler(ReconcileContext ctx) : IReconciler
{
    public string Kind => ApiConstants.SandboxPoolKind;

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken ct)
    {
        var current = ctx.View.Get(ResourceType.SandboxPool, key.Namespace, key.Name);
        if (current is null || current.IsDeleting()) return ReconcileResult.Done;
        var parsed = Manifests.ParseSandboxPool(current.ToJsonString(), rejectUnknownFields: false);
        var previous = current["status"] is JsonObject s ? s.Deserialize<SandboxPoolStatus>(Manifests.Json) : null;

        if (parsed.IsValid)
            foreach (var (type, child) in SandboxPoolChildren.Build(current, parsed.Value!, ctx.Options))
                await ctx.Applier.EnsureAsync(type, child, ct);

        var deployment = ctx.View.Get(ResourceType.Deployment, key.Namespace, Names.ExecutorDeployment(key.Name));
        var status = SandboxPoolStatusComputer.Compute(key.Name, current.Generation(), previous, parsed.Value, parsed.Errors, deployment, ctx.Now());
        if (await StatusWriter.WriteIfChangedAsync(ctx, ResourceType.SandboxPool, current, status, ct))
        {
            var was = Conditions.Find(previous?.Conditions, "Ready");
            var now = Conditions.Find(status.Conditions, "Ready")!;
            if (was?.Reason != now.Reason)
                await ctx.Events.RecordAsync(current, now.Reason == "InvalidSpec" ? "Warning" : "Normal", now.Reason, "Reconcile", now.Message, ct);
        }
        return ReconcileResult.Done;
    }
}
