using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using AgentOps.Protos.Api;

namespace AgentOps.Operator.Reconcile;

/// <summary>
/// Writes a status only when it changed (compared as JSON with what the object has), with the object's
/// resourceVersion: a stale copy gets 409 from the API server and the key is retried with backoff.
/// </summary>
internal static class StatusWriter
{
    public static async Task<bool> WriteIfChangedAsync(ReconcileContext ctx, ResourceType type, JsonObject current, object status, CancellationToken ct)
    {
        var next = JsonNode.Parse(Manifests.ToJson(status));
        var previous = current["status"] is JsonNode p ? JsonNode.Parse(p.ToJsonString()) : null;
        if (JsonNode.DeepEquals(previous, next)) return false;
        var updated = (JsonObject)current.DeepClone();
        updated["status"] = next;
        await ctx.Client.ReplaceStatusAsync(type, updated, ct);
        ctx.StatusWrites.Increment();
        return true;
    }
}
