using System.Text.Json.Nodes;

namespace AgentOps.Testing.Kube;

/// <summary>
/// Server-side apply field ownership, simplified: a field is a leaf path (objects recurse, lists are atomic
/// like `x-kubernetes-list-type: atomic`). Each manager owns a set of paths; an apply sets its fields,
/// removes fields it owned before and no longer applies (unless another manager owns them), and conflicts
/// with fields another manager owns at a different value unless force=true. An update takes ownership of
/// the fields it changed. Serialised as metadata.managedFields in the real FieldsV1 shape ("f:spec": {...}).
/// </summary>
internal sealed class FieldOwnership
{
    private readonly Dictionary<string, (HashSet<string> Fields, string Operation, string? Subresource)> _managers = [];

    public static HashSet<string> Leaves(JsonObject obj)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        Walk(obj, "", result);
        return result;
    }

    private static void Walk(JsonObject obj, string prefix, HashSet<string> into)
    {
        foreach (var (k, v) in obj)
        {
            if (prefix.Length == 0 && k is "apiVersion" or "kind") continue;
            if (prefix == "metadata" && k is "name" or "namespace" or "resourceVersion" or "uid" or "generation"
                    or "creationTimestamp" or "managedFields" or "deletionTimestamp") continue;
            var path = prefix.Length == 0 ? k : prefix + "\u0000" + k;
            if (v is JsonObject child && child.Count > 0) Walk(child, path, into);
            else into.Add(path);
        }
    }

    public static JsonNode? Read(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var part in path.Split('\u0000'))
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(part, out node)) return null;
        }
        return node;
    }

    public static void Write(JsonObject obj, string path, JsonNode? value)
    {
        var parts = path.Split('\u0000');
        var node = obj;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (node[parts[i]] is not JsonObject next) { next = []; node[parts[i]] = next; }
            node = next;
        }
        node[parts[^1]] = value?.DeepClone();
    }

    public static void Remove(JsonObject obj, string path)
    {
        var parts = path.Split('\u0000');
        var chain = new List<JsonObject> { obj };
        var node = obj;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (node[parts[i]] is not JsonObject next) return;
            chain.Add(next);
            node = next;
        }
        node.Remove(parts[^1]);
        // Drop objects the removal left empty.
        for (var i = parts.Length - 2; i >= 0; i--)
            if (chain[i + 1].Count == 0) chain[i].Remove(parts[i]); else break;
    }

    /// <summary>Fields applied by <paramref name="manager"/> that another manager owns with a different value.</summary>
    public List<string> Conflicts(string manager, JsonObject current, JsonObject applied, HashSet<string> appliedFields)
    {
        var conflicts = new List<string>();
        foreach (var (other, owned) in _managers)
        {
            if (other == manager) continue;
            foreach (var f in appliedFields)
                if (owned.Fields.Contains(f) && !JsonNode.DeepEquals(Read(current, f), Read(applied, f)))
                    conflicts.Add($"{Display(f)} (owned by \"{other}\")");
        }
        return conflicts;
    }

    /// <summary>Merges an apply into <paramref name="target"/> and records ownership.</summary>
    public void Apply(string manager, JsonObject target, JsonObject applied, HashSet<string> appliedFields, string? subresource)
    {
        if (_managers.TryGetValue(manager, out var previous))
            foreach (var f in previous.Fields)
                if (!appliedFields.Contains(f) && !_managers.Any(m => m.Key != manager && m.Value.Fields.Contains(f)))
                    Remove(target, f);
        foreach (var f in appliedFields) Write(target, f, Read(applied, f));
        foreach (var (_, owned) in _managers) owned.Fields.ExceptWith(appliedFields);
        _managers[manager] = (new HashSet<string>(appliedFields), "Apply", subresource);
        Prune();
    }

    /// <summary>An update (PUT/PATCH) by <paramref name="manager"/> takes the fields whose value it changed.</summary>
    public void Update(string manager, JsonObject before, JsonObject after, string? subresource)
    {
        var beforeLeaves = Leaves(before);
        var afterLeaves = Leaves(after);
        var changed = afterLeaves.Where(f => !JsonNode.DeepEquals(Read(before, f), Read(after, f))).ToHashSet();
        var removed = beforeLeaves.Except(afterLeaves).ToList();
        foreach (var (_, owned) in _managers) { owned.Fields.ExceptWith(changed); owned.Fields.ExceptWith(removed); }
        if (changed.Count > 0)
        {
            if (!_managers.TryGetValue(manager, out var mine) || mine.Operation != "Update")
                _managers[manager] = mine = (mine.Fields ?? [], "Update", subresource);
            mine.Fields.UnionWith(changed);
        }
        Prune();
    }

    public HashSet<string> Owned(string manager) => _managers.TryGetValue(manager, out var m) ? m.Fields : [];

    private void Prune()
    {
        foreach (var k in _managers.Where(m => m.Value.Fields.Count == 0).Select(m => m.Key).ToList()) _managers.Remove(k);
    }

    public JsonArray ToManagedFields(string time)
    {
        var array = new JsonArray();
        foreach (var (manager, owned) in _managers.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            var fields = new JsonObject();
            foreach (var f in owned.Fields)
            {
                var node = fields;
                foreach (var part in f.Split('\u0000'))
                {
                    if (node["f:" + part] is not JsonObject next) { next = []; node["f:" + part] = next; }
                    node = next;
                }
            }
            var entry = new JsonObject
            {
                ["manager"] = manager,
                ["operation"] = owned.Operation,
                ["apiVersion"] = "v1",
                ["time"] = time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = fields,
            };
            if (owned.Subresource is not null) entry["subresource"] = owned.Subresource;
            array.Add(entry);
        }
        return array;
    }

    private static string Display(string path) => "." + path.Replace('\u0000', '.');
}
