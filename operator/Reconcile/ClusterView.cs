using System.Text.Json.Nodes;
using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;

namespace AgentOps.Operator.Reconcile;

/// <summary>What the reconcilers read: the informer caches of every kind they own or watch (never the API server directly).</summary>
public sealed class ClusterView(IReadOnlyDictionary<ResourceType, ObjectCache> caches)
{
    public JsonObject? Get(ResourceType type, string ns, string name) => Cache(type).Get(new ObjectKey(ns, name));

    public IReadOnlyList<JsonObject> OwnedBy(ResourceType type, string uid) => Cache(type).OwnedBy(uid);

    public IReadOnlyList<JsonObject> List(ResourceType type) => Cache(type).List();

    public ObjectCache Cache(ResourceType type) =>
        caches.TryGetValue(type, out var c) ? c : throw new InvalidOperationException($"no informer for {type.Plural}");

    public IEnumerable<ResourceType> Types => caches.Keys;
}
