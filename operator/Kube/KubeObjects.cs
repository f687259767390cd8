using System.Text.Json.Nodes;

namespace AgentOps.Operator.Kube;

/// <summary>Small typed reads of the metadata of untyped objects.</summary>
public static class KubeObjects
{
    public static JsonObject Metadata(this JsonObject o) => o["metadata"] as JsonObject ?? throw new InvalidOperationException("object has no metadata");
    public static string Name(this JsonObject o) => (string?)o.Metadata()["name"] ?? "";
    public static string Namespace(this JsonObject o) => (string?)o.Metadata()["namespace"] ?? "";
    public static string ResourceVersion(this JsonObject o) => (string?)o.Metadata()["resourceVersion"] ?? "";
    public static string Uid(this JsonObject o) => (string?)o.Metadata()["uid"] ?? "";
    public static long Generation(this JsonObject o) => (long?)o.Metadata()["generation"] ?? 0;
    public static bool IsDeleting(this JsonObject o) => o.Metadata()["deletionTimestamp"] is not null;
    public static ObjectKey Key(this JsonObject o) => new(o.Namespace(), o.Name());

    public static IReadOnlyList<string> Finalizers(this JsonObject o) =>
        (o.Metadata()["finalizers"] as JsonArray)?.Select(f => (string?)f ?? "").ToList() ?? [];

    /// <summary>An ownerReference with controller=true (the owner's garbage collection deletes the child).</summary>
    public static JsonObject ControllerReference(JsonObject owner) => new()
    {
        ["apiVersion"] = (string?)owner["apiVersion"],
        ["kind"] = (string?)owner["kind"],
        ["name"] = owner.Name(),
        ["uid"] = owner.Uid(),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };
}
