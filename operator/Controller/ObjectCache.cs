using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;

namespace AgentOps.Operator.Controller;

/// <summary>client-go cache.Store/Indexer: the informer's latest view of each object, by namespace/name, plus an owner index.</summary>
public sealed class ObjectCache
{
    private readonly Dictionary<ObjectKey, JsonObject> _items = [];
    private readonly object _gate = new();

    public int Count { get { lock (_gate) return _items.Count; } }

    /// <summary>A deep copy: callers may change it (client-go: never mutate the cache's objects).</summary>
    public JsonObject? Get(ObjectKey key)
    {
        lock (_gate) return _items.TryGetValue(key, out var o) ? (JsonObject)o.DeepClone() : null;
    }

    public IReadOnlyList<JsonObject> List()
    {
        lock (_gate) return _items.Values.Select(o => (JsonObject)o.DeepClone()).ToList();
    }

    public void Upsert(JsonObject o) { lock (_gate) _items[o.Key()] = (JsonObject)o.DeepClone(); }

    public void Remove(ObjectKey key) { lock (_gate) _items.Remove(key); }

    /// <summary>Replaces the whole content after a list; returns what was added, changed (by resourceVersion) and removed.</summary>
    public (List<JsonObject> Added, List<JsonObject> Updated, List<JsonObject> Deleted) Replace(IEnumerable<JsonObject> items)
    {
        lock (_gate)
        {
            var fresh = items.ToDictionary(o => o.Key(), o => (JsonObject)o.DeepClone());
            var deleted = _items.Where(kv => !fresh.ContainsKey(kv.Key)).Select(kv => kv.Value).ToList();
            var added = new List<JsonObject>();
            var updated = new List<JsonObject>();
            foreach (var (k, o) in fresh)
            {
                if (!_items.TryGetValue(k, out var old)) added.Add(o);
                else if (old.ResourceVersion() != o.ResourceVersion()) updated.Add(o);
            }
            _items.Clear();
            foreach (var (k, o) in fresh) _items[k] = o;
            return (added, updated, deleted);
        }
    }
}
