using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;

namespace AgentOps.Operator.Controller;

/// <summary>client-go cache.Indexer: the informer's latest view of each object by namespace/name, indexed by controller owner uid.</summary>
public sealed class ObjectCache
{
    private readonly Dictionary<ObjectKey, JsonObject> _items = [];
    private readonly Dictionary<string, HashSet<ObjectKey>> _byOwner = [];
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

    /// <summary>Objects whose controller ownerReference has this uid.</summary>
    public IReadOnlyList<JsonObject> OwnedBy(string uid)
    {
        lock (_gate)
            return _byOwner.TryGetValue(uid, out var keys) ? keys.Select(k => (JsonObject)_items[k].DeepClone()).ToList() : [];
    }

    public void Upsert(JsonObject o)
    {
        lock (_gate)
        {
            var key = o.Key();
            RemoveLocked(key);
            _items[key] = (JsonObject)o.DeepClone();
            if (ControllerUid(o) is { } uid)
            {
                if (!_byOwner.TryGetValue(uid, out var set)) _byOwner[uid] = set = [];
                set.Add(key);
            }
        }
    }

    public void Remove(ObjectKey key) { lock (_gate) RemoveLocked(key); }

    private void RemoveLocked(ObjectKey key)
    {
        if (!_items.Remove(key, out var old)) return;
        if (ControllerUid(old) is { } uid && _byOwner.TryGetValue(uid, out var set))
        {
            set.Remove(key);
            if (set.Count == 0) _byOwner.Remove(uid);
        }
    }

    public static string? ControllerUid(JsonObject o) =>
        (o["metadata"]?["ownerReferences"] as JsonArray)?.FirstOrDefault(r => (bool?)r?["controller"] == true)?["uid"]?.GetValue<string>();

    /// <summary>Replaces the whole content after a list; returns what was added, changed (by resourceVersion) and removed.</summary>
    public (List<JsonObject> Added, List<JsonObject> Updated, List<JsonObject> Deleted) Replace(IEnumerable<JsonObject> items)
    {
        lock (_gate)
        {
            var fresh = items.ToDictionary(o => o.Key(), o => o);
            var deleted = _items.Where(kv => !fresh.ContainsKey(kv.Key)).Select(kv => kv.Value).ToList();
            var added = new List<JsonObject>();
            var updated = new List<JsonObject>();
            foreach (var (k, o) in fresh)
            {
                if (!_items.TryGetValue(k, out var old)) added.Add(o);
                else if (old.ResourceVersion() != o.ResourceVersion()) updated.Add(o);
            }
            foreach (var o in deleted) RemoveLocked(o.Key());
            foreach (var (_, o) in fresh)
            {
                var key = o.Key();
                RemoveLocked(key);
                _items[key] = (JsonObject)o.DeepClone();
                if (ControllerUid(o) is { } uid)
                {
                    if (!_byOwner.TryGetValue(uid, out var set)) _byOwner[uid] = set = [];
                    set.Add(key);
                }
            }
            return (added, updated, deleted);
        }
    }
}
